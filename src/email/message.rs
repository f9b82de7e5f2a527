//! Composing an alert: the one-line subject, the plain-text and HTML parts, the CSV attachment
//! of the flagged calls, and the headers mail systems need (Date, Message-ID, Auto-Submitted).
//!
//! The subject names the worst incident (highest severity, then most costly), so an
//! administrator knows from the notification alone whether to act now. CDR-derived text in
//! the subject is stripped of control characters and cut to a sane length; lettre encodes
//! the header, so a caller-controlled string cannot add header lines.

use super::settings::Compose;
use crate::report::terminal::money;
use crate::report::{IncidentView, Report};
use crate::rules::Severity;
use lettre::message::header::{ContentType, Header, HeaderName, HeaderValue};
use lettre::message::{Attachment, MultiPart, SinglePart};
use lettre::Message;

/// Longest subject line kept (phones show about 60 characters; mail systems fold beyond 998).
const MAX_SUBJECT: usize = 180;

/// The incidents an alert is about: those at or above the threshold, in report order (most
/// costly first).
pub fn alerting(rep: &Report, min: Severity) -> Vec<&IncidentView> {
    rep.incidents.iter().filter(|i| i.severity >= min).collect()
}

/// Destination countries of an incident by name, most costly first, at most two and a count.
pub fn countries(inc: &IncidentView) -> String {
    let names: Vec<&str> = inc
        .destinations
        .iter()
        .map(|d| {
            if d.country == "001" {
                // The full label ("non-geographic (satellite / international network)") would
                // fill a phone's subject line by itself.
                "satellite/intl. network"
            } else if d.country_name.is_empty() {
                d.country.as_str()
            } else {
                d.country_name.as_str()
            }
        })
        .collect();
    match names.len() {
        0 => "no external destination".to_string(),
        1 | 2 => names.join(", "),
        n => format!("{} +{} more", names[..2].join(", "), n - 2),
    }
}

/// Fills the subject template for the alerting incidents.
pub fn subject(template: &str, rep: &Report, incidents: &[&IncidentView]) -> String {
    // The report's worst incident is at or above the threshold whenever any incident is.
    let (Some(w), false) = (crate::report::html::worst(rep), incidents.is_empty()) else {
        return format!("[tollguard] no incident ({})", rep.site.name);
    };
    let more = match incidents.len() {
        1 => String::new(),
        n => format!(
            ", +{} more incident{}",
            n - 1,
            if n == 2 { "" } else { "s" }
        ),
    };
    let total: f64 = incidents.iter().map(|i| i.estimated_cost).sum();
    let site = if rep.site.name.is_empty() {
        "tollguard".to_string()
    } else {
        rep.site.name.clone()
    };
    let values: [(&str, String); 8] = [
        ("site", site),
        ("severity", w.severity.as_str().to_uppercase()),
        ("subject", w.subject.clone()),
        ("countries", countries(w)),
        (
            "cost",
            format!("{} {}", w.currency, money(w.estimated_cost)),
        ),
        ("calls", w.calls.to_string()),
        ("incidents", incidents.len().to_string()),
        ("more", {
            if more.is_empty() {
                more.clone()
            } else {
                format!("{more} ({} {} in all)", w.currency, money(total))
            }
        }),
    ];
    // Templates are validated when the settings are resolved; one that is not (a library
    // caller's) is used as written rather than half filled.
    let out = super::settings::fill_template(template, |name| {
        values
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.clone())
    })
    .unwrap_or_else(|_| template.to_string());
    one_line(&out, MAX_SUBJECT)
}

/// Control characters become spaces, runs of whitespace one space, and the text is cut at
/// `max` characters with an ellipsis.
fn one_line(s: &str, max: usize) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        let c = if c.is_control() { ' ' } else { c };
        if c == ' ' && (out.is_empty() || out.ends_with(' ')) {
            continue;
        }
        out.push(c);
    }
    let out = out.trim_end();
    if out.chars().count() > max {
        let cut: String = out.chars().take(max - 1).collect();
        format!("{}…", cut.trim_end())
    } else {
        out.to_string()
    }
}

/// `Auto-Submitted: auto-generated` (RFC 3834): vacation responders must not answer alerts.
#[derive(Debug, Clone)]
struct AutoSubmitted;

impl Header for AutoSubmitted {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Auto-Submitted")
    }
    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(AutoSubmitted)
    }
    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "auto-generated".into())
    }
}

/// `X-Tollguard-Severity: critical`, for mail filters and ticket systems.
#[derive(Debug, Clone)]
struct SeverityHeader(String);

impl Header for SeverityHeader {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("X-Tollguard-Severity")
    }
    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(SeverityHeader(s.to_string()))
    }
    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.clone())
    }
}

/// The parts of an alert, rendered by the reporters.
pub struct Parts {
    /// Plain-text body.
    pub text: String,
    /// HTML body (mail-client safe: inline styles, no scripts, no SVG).
    pub html: String,
    /// The flagged calls (spreadsheet-safe CSV), attached when there are any.
    pub csv: Option<Vec<u8>>,
}

/// Builds the alert message.
pub fn build(
    c: &Compose,
    subject_line: &str,
    severity: Option<Severity>,
    parts: Parts,
) -> Result<Message, String> {
    let mut b = Message::builder()
        .from(c.from.clone())
        .subject(subject_line)
        // A Message-ID lets mail clients thread and de-duplicate; lettre adds none by itself.
        .message_id(None)
        .date_now()
        .header(AutoSubmitted)
        .user_agent(format!("tollguard {}", env!("CARGO_PKG_VERSION")));
    if let Some(s) = severity {
        b = b.header(SeverityHeader(s.as_str().to_string()));
    }
    for t in &c.to {
        b = b.to(t.clone());
    }
    let body = MultiPart::alternative_plain_html(parts.text, parts.html);
    let msg = match parts.csv {
        Some(csv) => b.multipart(MultiPart::mixed().multipart(body).singlepart(
            Attachment::new("flagged-calls.csv".to_string()).body(
                csv,
                ContentType::parse("text/csv; charset=utf-8").expect("valid"),
            ),
        )),
        None => b.multipart(body),
    };
    msg.map_err(|e| format!("cannot build the alert message: {e}"))
}

/// A short plain-text message for `tollguard test-email`.
pub fn test_message(c: &Compose, host: &str) -> Result<Message, String> {
    let mut b = Message::builder()
        .from(c.from.clone())
        .subject("[tollguard] test message: email alerts work")
        .message_id(None)
        .date_now()
        .header(AutoSubmitted);
    for t in &c.to {
        b = b.to(t.clone());
    }
    b.singlepart(SinglePart::plain(format!(
        "This is a test message from tollguard {} sent through {host}.\n\n\
         If you read this, alerts from your cron job will reach you too.\n",
        env!("CARGO_PKG_VERSION")
    )))
    .map_err(|e| format!("cannot build the test message: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_strips_controls_and_cuts() {
        assert_eq!(one_line("a\r\nBcc: x@evil\t b", 100), "a Bcc: x@evil b");
        let long = "x".repeat(300);
        let cut = one_line(&long, 10);
        assert_eq!(cut.chars().count(), 10);
        assert!(cut.ends_with('…'));
    }
}

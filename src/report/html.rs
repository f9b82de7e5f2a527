//! `--output html`: one self-contained HTML file (inline CSS and SVG charts, no scripts, no
//! network requests, a Content-Security-Policy that forbids both), and the HTML part of alert
//! e-mails, rendered by the same section functions.
//!
//! Every CDR-derived string (subjects, dialled numbers, caller names, file names, rejected row
//! text, reasons) reaches the page through maud, which escapes text and attribute values; the
//! only `PreEscaped` content is our own stylesheet and plotters' SVG (which escapes its text).
//! Control characters are made visible first ([`super::terminal::clean`]), as in the terminal.
//! The e-mail differs only where mail clients force it: Gmail and Outlook strip `<svg>` and
//! `<style>`, so it uses inline styles ([`Look::Email`]) and table bars instead of charts.

use super::charts::{self, TimelineCall};
use super::html_style::{severity_styles, stylesheet, Look};
use super::terminal::{clean, money, span};
use super::{Destination, FindingView, IncidentView, Report};
use crate::audit::AuditResult;
use crate::config::Config;
use crate::number::risk::RiskTier;
use crate::rules::Severity;
use maud::{html, Markup, PreEscaped, DOCTYPE};
use std::io::{self, Write};

/// The report file's Content-Security-Policy: nothing may load or run; inline CSS and data:
/// images only. A markup injection that escaped the escaping could still not run a script.
pub const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";
/// Incidents shown as full cards (the rest get one table row each).
const MAX_CARDS: usize = 40;
/// Incidents shown as cards in an e-mail.
const MAX_EMAIL_CARDS: usize = 10;
/// Incidents that get a timeline chart.
const MAX_TIMELINES: usize = 20;
/// Calls listed per incident (in time order).
const MAX_CALLS_LISTED: usize = 50;
/// Countries in the cost chart.
const TOP_COUNTRIES: usize = 10;

/// Writes the HTML report file.
pub fn render(
    config: &Config,
    rep: &Report,
    result: &AuditResult,
    w: &mut dyn Write,
) -> io::Result<()> {
    let page = page(config, rep, result)?;
    w.write_all(page.into_string().as_bytes())
}

/// The HTML part of an alert e-mail: headline, what to do now, the incidents; inline styles,
/// single column, no SVG and no `<style>` (mail clients strip them).
pub fn render_email(config: &Config, rep: &Report, result: &AuditResult) -> String {
    let l = Look::Email;
    let _ = (config, result);
    let cards: Vec<&IncidentView> = rep
        .incidents
        .iter()
        .filter(|i| i.severity >= Severity::Medium)
        .take(MAX_EMAIL_CARDS)
        .collect();
    let rest = rep.incidents.len() - cards.len();
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title_text(rep)) }
            }
            body style="margin:0;padding:0;background:#ffffff" {
                div style=[l.s("mail")] {
                    (verdict(l, rep))
                    p style=[l.s("small")] { (period_line(rep)) }
                    @for inc in &cards {
                        (incident_card(l, rep, inc, None, None))
                    }
                    @if rest > 0 {
                        p style=[l.s("small")] {
                            (rest) " more incident(s) of lower severity or beyond the first "
                            (MAX_EMAIL_CARDS) ": see the attached CSV or the HTML report (tollguard audit --output html)."
                        }
                    }
                    p style=[l.s("small")] { (summary_line(rep)) }
                    (footer(l, rep))
                }
            }
        }
    }
    .into_string()
}

/// The incident an alert leads with: the most severe, the most costly among those.
pub fn worst(rep: &Report) -> Option<&IncidentView> {
    // Incidents are sorted most costly first; `max_by` keeps the last maximum, so compare
    // positions in reverse to keep the first.
    rep.incidents
        .iter()
        .enumerate()
        .max_by(|(ia, a), (ib, b)| a.severity.cmp(&b.severity).then(ib.cmp(ia)))
        .map(|(_, i)| i)
}

/// One line about the worst incident, plain text (control characters made visible):
/// `CRITICAL: extension 207 called 001, ST, CU, SO, est. 3,073.59 EUR (Sat 2026-10-17 01:10 – 05:48)`.
pub fn headline(rep: &Report) -> Option<String> {
    let inc = worst(rep)?;
    let countries: Vec<&str> = inc
        .destinations
        .iter()
        .map(|d| d.country.as_str())
        .collect();
    let to = if countries.is_empty() {
        String::new()
    } else {
        format!(" called {}", countries.join(", "))
    };
    Some(format!(
        "{}: {}{to}, est. {} {} ({})",
        inc.severity.as_str().to_uppercase(),
        clean(&inc.subject),
        money(inc.estimated_cost),
        inc.currency,
        span(&inc.start, &inc.end)
    ))
}

/// `<title>` and first heading text.
fn title_text(rep: &Report) -> String {
    let site = if rep.site.name.is_empty() {
        String::new()
    } else {
        format!(" – {}", clean(&rep.site.name))
    };
    match rep.incidents.len() {
        0 => format!("tollguard report{site}: no suspicious activity"),
        n => format!(
            "tollguard report{site}: {n} incident(s), est. {} {}",
            money(rep.summary.flagged_cost),
            rep.site.currency
        ),
    }
}

fn period_line(rep: &Report) -> String {
    let s = &rep.summary;
    let period = match (&s.period_start, &s.period_end) {
        (Some(a), Some(b)) => format!("Calls from {}", span(a, b)),
        _ => "No calls".to_string(),
    };
    format!(
        "{period}. Times in {}; home country {}; currency {}.",
        rep.site.timezone, rep.site.country, rep.site.currency
    )
}

fn summary_line(rep: &Report) -> String {
    let s = &rep.summary;
    format!(
        "{} rows read, {} rejected, {} repaired; {} calls analysed ({} external) from {} file(s).",
        s.rows_read,
        s.rows_rejected,
        s.rows_repaired_split + s.rows_repaired_utf8,
        s.calls,
        s.external_calls,
        s.files.iter().filter(|f| !f.format.is_empty()).count()
    )
}

fn page(config: &Config, rep: &Report, result: &AuditResult) -> io::Result<Markup> {
    let l = Look::Page;
    let charts = charts_section(config, rep, result)?;
    let incidents = incidents_section(config, rep, result)?;
    Ok(html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta http-equiv="Content-Security-Policy" content=(CSP);
                meta name="referrer" content="no-referrer";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="generator" content={ "tollguard " (rep.tool.version) };
                title { (title_text(rep)) }
                style { (PreEscaped(stylesheet())) }
            }
            body {
                main class=[l.c("doc")] {
                    h1 id="title" class=[l.c("top")] {
                        "tollguard report"
                        @if !rep.site.name.is_empty() { ": " (clean(&rep.site.name)) }
                    }
                    p class=[l.c("sub")] { (period_line(rep)) }
                    (verdict(l, rep))
                    (summary_cards(l, rep))
                    (charts)
                    (incidents)
                    (import_section(l, rep))
                    (footer(l, rep))
                }
            }
        }
    })
}

/// The headline box: the worst incident and what to do now, or "nothing found".
fn verdict(l: Look, rep: &Report) -> Markup {
    let Some(inc) = worst(rep) else {
        return html! {
            section id="verdict" class=[l.c("verdict-ok")] style=[l.s("verdict-ok")] {
                p id="headline" class=[l.c("headline")] style=[l.s("headline")] {
                    "No suspicious activity found."
                }
                (summary_line(rep))
            }
        };
    };
    let mut counts: Vec<(Severity, usize)> = Vec::new();
    for i in &rep.incidents {
        match counts.iter_mut().find(|(s, _)| *s == i.severity) {
            Some((_, n)) => *n += 1,
            None => counts.push((i.severity, 1)),
        }
    }
    counts.sort_by_key(|c| std::cmp::Reverse(c.0));
    let counts: Vec<String> = counts.iter().map(|(s, n)| format!("{n} {s}")).collect();
    html! {
        section id="verdict" class=[l.c("verdict")] style=[l.s("verdict")] {
            p id="headline" class=[l.c("headline")] style=[l.s("headline")] {
                (headline(rep).unwrap_or_default())
            }
            div {
                (rep.incidents.len()) " incident(s) (" (counts.join(", ")) "), estimated exposure "
                strong { (money(rep.summary.flagged_cost)) " " (rep.site.currency) }
                " (indicative, from public price lists unless a carrier rate deck was given)."
            }
            p class=[l.c("do")] style=[l.s("do")] {
                strong { "What to do now: " }
                (inc.action) "."
            }
        }
    }
}

fn stat(l: Look, n: String, label: &str) -> Markup {
    html! {
        div class=[l.c("stat")] style=[l.s("stat")] {
            span class=[l.c("stat-n")] style=[l.s("stat-n")] { (n) }
            span class=[l.c("stat-l")] style=[l.s("stat-l")] { (label) }
        }
    }
}

fn summary_cards(l: Look, rep: &Report) -> Markup {
    let s = &rep.summary;
    html! {
        section id="summary" class=[l.c("cards")] {
            (stat(l, s.rows_read.to_string(), "rows read"))
            (stat(l, s.rows_rejected.to_string(), "rows rejected"))
            (stat(l, (s.rows_repaired_split + s.rows_repaired_utf8).to_string(), "rows repaired"))
            (stat(l, s.calls.to_string(), "calls analysed"))
            (stat(l, s.external_calls.to_string(), "external calls"))
            (stat(l, s.incidents.to_string(), "incidents"))
            (stat(l, money(s.flagged_cost), &format!("flagged cost (est. {})", rep.site.currency)))
        }
    }
}

fn key(l: Look, which: &'static str, text: &str) -> Markup {
    html! { span class=[l.c2("key", which)] {} (text) }
}

fn charts_section(config: &Config, rep: &Report, result: &AuditResult) -> io::Result<Markup> {
    let l = Look::Page;
    let t = &result.table;
    let flagged = charts::flagged_calls(result);
    let buckets = charts::hours_of_week(config, t, &flagged);
    let closed = charts::closed_hours(config);
    let hours = charts::hours_svg(
        &buckets,
        &closed,
        "chart-hours",
        "Calls by hour of the week (site time); flagged calls in red on top",
    )?;
    let flagged_idx: Vec<usize> = (0..flagged.len()).filter(|&i| flagged[i]).collect();
    let all = super::destinations(t, &flagged_idx, usize::MAX);
    let (top, rest) = all.split_at(all.len().min(TOP_COUNTRIES));
    let cur = &rep.site.currency;
    let rows: Vec<(String, f64, String)> = top
        .iter()
        .filter(|d| d.estimated_cost > 0.0)
        .map(|d| {
            (
                charts::short_label(&d.country, &d.country_name, 30),
                d.estimated_cost,
                format!("{} {cur}", money(d.estimated_cost)),
            )
        })
        .collect();
    let countries = charts::countries_svg(
        &rows,
        "chart-countries",
        "Estimated cost of the flagged calls by destination country",
    )?;
    let rest_cost: f64 = rest.iter().map(|d| d.estimated_cost).sum();
    let rest_calls: usize = rest.iter().map(|d| d.calls).sum();
    Ok(html! {
        section id="charts" {
            h2 class=[l.c("h2")] { "When and where" }
            figure class=[l.c("figure")] {
                div class="scroll wide" { (PreEscaped(hours)) }
                figcaption class=[l.c("caption")] {
                    "Calls by hour of the week (start, site time " (rep.site.timezone) "), all weeks of the period added up. "
                    span class="legend" {
                        (key(l, "key-flagged", "flagged")) (key(l, "key-other", "other calls")) (key(l, "key-closed", "outside business hours"))
                    }
                }
                details {
                    summary { "The numbers (calls per hour, flagged / all)" }
                    div class="scroll" {
                        table id="table-hours" class=[l.c("table")] {
                            thead { tr { th class=[l.c("th")] { "day" } @for h in 0..24 { th class=[l.c("th")] { (format!("{h:02}")) } } } }
                            tbody {
                                @for (d, day) in charts::DAYS.iter().enumerate() {
                                    tr {
                                        th class=[l.c("th")] scope="row" { (day) }
                                        @for b in &buckets[d * 24..d * 24 + 24] {
                                            td class=[l.c("num")] {
                                                @if b.flagged + b.other > 0 { (b.flagged) "/" (b.flagged + b.other) }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            figure class=[l.c("figure")] {
                div class="scroll narrow-chart" { (PreEscaped(countries)) }
                figcaption class=[l.c("caption")] {
                    "Estimated cost of the flagged calls by destination country (top " (TOP_COUNTRIES) ")."
                }
                div class="scroll" {
                    table id="table-countries" class=[l.c("table")] {
                        thead { tr { th class=[l.c("th")] { "country" } th class=[l.c("th")] { "calls" } th class=[l.c("th")] { "est. cost" } th class=[l.c("th")] { "risk" } } }
                        tbody {
                            @for d in top {
                                tr {
                                    td class=[l.c("td")] { (d.country) " " (d.country_name) }
                                    td class=[l.c("num")] { (d.calls) }
                                    td class=[l.c("num")] { (money(d.estimated_cost)) " " (cur) }
                                    td class=[l.c("td-nw")] { (risk_text(d.risk)) }
                                }
                            }
                            @if !rest.is_empty() {
                                tr {
                                    td class=[l.c("td")] { (rest.len()) " other countries" }
                                    td class=[l.c("num")] { (rest_calls) }
                                    td class=[l.c("num")] { (money(rest_cost)) " " (cur) }
                                    td class=[l.c("td")] {}
                                }
                            }
                            @if all.is_empty() {
                                tr { td class=[l.c("td")] colspan="4" { "No flagged calls." } }
                            }
                        }
                    }
                }
            }
        }
    })
}

fn risk_text(r: RiskTier) -> &'static str {
    match r {
        RiskTier::None => "",
        _ => r.as_str(),
    }
}

fn incidents_section(config: &Config, rep: &Report, result: &AuditResult) -> io::Result<Markup> {
    let l = Look::Page;
    let mut cards = Vec::new();
    let mut compact = Vec::new();
    for (n, inc) in rep.incidents.iter().enumerate() {
        if inc.severity >= Severity::Medium && cards.len() < MAX_CARDS {
            let timeline = if cards.len() < MAX_TIMELINES {
                Some(timeline(config, result, n)?)
            } else {
                None
            };
            cards.push(incident_card(
                l,
                rep,
                inc,
                timeline,
                Some(calls_list(config, result, n)),
            ));
        } else {
            compact.push(inc);
        }
    }
    let cur = &rep.site.currency;
    Ok(html! {
        section id="incidents" {
            h2 class=[l.c("h2")] { "Incidents, most costly first" }
            @if rep.incidents.is_empty() { p { "None: no rule fired at or above the minimum severity." } }
            @for c in cards { (c) }
            @if !compact.is_empty() {
                h3 class=[l.c("h3")] { "More incidents (" (compact.len()) ")" }
                div class="scroll" {
                    table id="table-more" class=[l.c("table")] {
                        thead { tr {
                            th class=[l.c("th")] { "#" } th class=[l.c("th")] { "severity" } th class=[l.c("th")] { "subject" }
                            th class=[l.c("th")] { "when" } th class=[l.c("th")] { "est. cost" } th class=[l.c("th")] { "calls" } th class=[l.c("th")] { "rules" }
                        } }
                        tbody { @for inc in compact {
                            tr {
                                td class=[l.c("td")] { (inc.id) }
                                td class=[l.c("td")] { (badge(l, inc.severity)) }
                                td class=[l.c("td")] { (clean(&inc.subject)) }
                                td class=[l.c("td")] { (span(&inc.start, &inc.end)) }
                                td class=[l.c("num")] { (money(inc.estimated_cost)) " " (cur) }
                                td class=[l.c("num")] { (inc.calls) }
                                td class=[l.c("td")] { (inc.rules.join(", ")) }
                            }
                        } }
                    }
                }
            }
        }
    })
}

fn badge(l: Look, sev: Severity) -> Markup {
    let (sev_style, _) = severity_styles(sev);
    html! {
        span class=[l.c2("badge", sev_style)] style=[l.s2("badge", sev_style)] {
            (sev.as_str().to_uppercase())
        }
    }
}

/// One incident: what, who, when, how much, where to, why, which rows, what to do.
fn incident_card(
    l: Look,
    rep: &Report,
    inc: &IncidentView,
    timeline: Option<Markup>,
    calls: Option<Markup>,
) -> Markup {
    let (_, card_style) = severity_styles(inc.severity);
    let cur = &inc.currency;
    let number = inc.id.trim_start_matches('I');
    html! {
        article id={ "incident-" (number) } class=[l.c2("card", card_style)] style=[l.s2("card", card_style)] {
            h3 class=[l.c("h3")] style=[l.s("h3")] {
                (badge(l, inc.severity)) " #" (number) " " (clean(&inc.subject))
            }
            div class=[l.c("muted")] style=[l.s("muted")] { (span(&inc.start, &inc.end)) " (" (rep.site.timezone) ")" }
            p class=[l.c("facts")] style=[l.s("facts")] {
                strong { "est. " (money(inc.estimated_cost)) " " (cur) }
                " · " (inc.calls) " calls (" (inc.answered) " answered) · " (format!("{:.0}", inc.minutes)) " min"
                br;
                "rules: "
                @for r in &inc.rules { span class=[l.c("chip")] style=[l.s("chip")] { (r) } }
            }
            p class=[l.c("do")] style=[l.s("do")] { strong { "Do now: " } (inc.action) "." }
            @if !inc.destinations.is_empty() {
                h4 class=[l.c("h4")] style=[l.s("h4")] { "Destinations" }
                (destinations_table(l, &inc.destinations, cur))
            }
            @if let Some(t) = timeline { (t) }
            h4 class=[l.c("h4")] style=[l.s("h4")] { "Why" }
            @for f in rep.findings.iter().filter(|f| f.incident == inc.id) {
                (finding(l, f))
            }
            p class=[l.c("small")] style=[l.s("small")] {
                "CDR rows: " (super::terminal::rows_of(rep, inc))
            }
            @if let Some(c) = calls { (c) }
        }
    }
}

/// A destination table; in e-mail each row carries a bar of its cost (tables survive every
/// mail client, SVG does not).
fn destinations_table(l: Look, dests: &[Destination], cur: &str) -> Markup {
    let max = dests.iter().map(|d| d.estimated_cost).fold(0.0, f64::max);
    html! {
        div class=[(l == Look::Page).then_some("scroll")] {
            table class=[l.c("table")] style=[l.s("table")] role=[(l == Look::Email).then_some("presentation")] {
                @if l == Look::Page {
                    thead { tr {
                        th class=[l.c("th")] { "country" } th class=[l.c("th")] { "calls" }
                        th class=[l.c2("th", "hide-narrow")] { "minutes" } th class=[l.c("th")] { "est. cost" }
                        th class=[l.c("th")] { "risk" } th class=[l.c2("th", "hide-narrow")] { "types" } th class=[l.c("th")] { "e.g." }
                    } }
                }
                tbody {
                    @for d in dests {
                        @if l == Look::Page {
                            tr {
                                td class=[l.c("td")] { strong { (d.country) } " " (d.country_name) }
                                td class=[l.c("num")] { (d.calls) }
                                td class=[l.c2("num", "hide-narrow")] { (format!("{:.0}", d.minutes)) }
                                td class=[l.c("num")] { (money(d.estimated_cost)) " " (cur) }
                                td class=[l.c("td-nw")] { (risk_text(d.risk)) }
                                td class=[l.c2("td", "hide-narrow")] { (d.kinds.join(", ")) }
                                td class=[l.c("td")] { span class=[l.c("code")] { (clean(&d.examples.join(", "))) } }
                            }
                        } @else {
                            tr {
                                td style=[l.s("td")] {
                                    strong { (d.country) } " " (d.country_name)
                                    @if d.risk >= RiskTier::High { " (" (d.risk.as_str()) " risk)" }
                                    br;
                                    span style=[l.s("small")] { (d.calls) " calls · e.g. " (clean(&d.examples.join(", "))) }
                                }
                                td style=[l.s("num")] { (money(d.estimated_cost)) " " (cur) }
                            }
                            tr {
                                td colspan="2" style="padding:0 8px 8px" {
                                    table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="border-collapse:collapse" {
                                        tr {
                                            @let pct = charts::share(d.estimated_cost, max).round().max(1.0);
                                            td width={ (pct) "%" } style=[l.s("bar")] { "\u{a0}" }
                                            @if pct < 100.0 { td style=[l.s("bar-bg")] { "\u{a0}" } }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn finding(l: Look, f: &FindingView) -> Markup {
    html! {
        div class=[l.c("finding")] style=[l.s("finding")] {
            div {
                strong { "[" (f.rule_id) " " (f.rule) "]" } " " (badge(l, f.severity))
                span class=[l.c("small")] style=[l.s("small")] {
                    " " (f.calls) " calls · est. " (money(f.estimated_cost)) " " (f.currency) " · " (span(&f.start, &f.end))
                }
            }
            div { (clean(&f.reason)) }
            @if l == Look::Page && !f.factors.is_empty() {
                ul class=[l.c("factors")] { @for x in &f.factors { li { "severity " (clean(x)) } } }
            }
            @if !f.destinations.is_empty() {
                div class=[l.c("small")] style=[l.s("small")] {
                    "to: "
                    @for (i, d) in f.destinations.iter().enumerate() {
                        @if i > 0 { "; " }
                        (d.country) " (" (d.calls) " calls, " (money(d.estimated_cost)) " " (f.currency) ")"
                    }
                }
            }
        }
    }
}

/// The incident's calls along time (report file only).
fn timeline(config: &Config, result: &AuditResult, n: usize) -> io::Result<Markup> {
    let l = Look::Page;
    let t = &result.table;
    let inc = &result.analysis.incidents[n];
    let mut calls: Vec<TimelineCall> = inc
        .calls
        .iter()
        .map(|&i| {
            let c = &t.calls[i];
            TimelineCall {
                start: c.start,
                end: c.end(),
                connected: c.is_connected(),
            }
        })
        .collect();
    calls.sort_by_key(|c| c.start);
    let total = calls.len();
    calls.truncate(charts::MAX_TIMELINE_CALLS);
    let id = format!("timeline-{}", n + 1);
    let svg = charts::timeline_svg(
        config,
        &calls,
        &id,
        &format!("Timeline of incident #{}: {} calls", n + 1, total),
    )?;
    Ok(html! {
        figure class=[l.c("figure")] {
            div class="scroll wide" { (PreEscaped(svg)) }
            figcaption class=[l.c("caption")] {
                "Each bar is one call, as long as it lasted; calls in progress at the same time are stacked. "
                @if total > calls.len() { "First " (calls.len()) " of " (total) " calls shown. " }
                span class="legend" {
                    (key(l, "key-flagged", "answered")) (key(l, "key-attempt", "attempt, no talk time")) (key(l, "key-closed", "outside business hours"))
                }
            }
        }
    })
}

/// The incident's calls in time order, with the CDR's own text (report file only).
fn calls_list(config: &Config, result: &AuditResult, n: usize) -> Markup {
    let l = Look::Page;
    let t = &result.table;
    let mut idx = result.analysis.incidents[n].calls.clone();
    idx.sort_by_key(|&i| (t.calls[i].start, i));
    let total = idx.len();
    let cur = &config.site.currency;
    html! {
        details {
            summary {
                "Calls (" (total) ")"
                @if total > MAX_CALLS_LISTED { ", first " (MAX_CALLS_LISTED) " in time order; all are in --output csv" }
            }
            div class="scroll" {
                table class=[l.c("table")] {
                    thead { tr {
                        th class=[l.c("th")] { "start" } th class=[l.c("th")] { "duration" } th class=[l.c("th")] { "talk" }
                        th class=[l.c("th")] { "from" } th class=[l.c("th")] { "caller name" } th class=[l.c("th")] { "dialled" }
                        th class=[l.c("th")] { "country" } th class=[l.c("th")] { "status" } th class=[l.c("th")] { "est. cost" } th class=[l.c("th")] { "row" }
                    } }
                    tbody { @for &i in idx.iter().take(MAX_CALLS_LISTED) {
                        @let c = &t.calls[i];
                        @let num = t.number_of(c);
                        tr {
                            td class=[l.c("td")] { (config.calendar.local(c.start).format("%a %m-%d %H:%M:%S").to_string()) }
                            td class=[l.c("num")] { (mmss(c.duration)) }
                            td class=[l.c("num")] { (mmss(c.billsec)) }
                            td class=[l.c("td")] { span class=[l.c("code")] { (clean(t.str(c.src))) } }
                            td class=[l.c("td")] { (clean(t.str(c.caller_name))) }
                            td class=[l.c("td")] { span class=[l.c("code")] { (clean(t.str(c.dialled))) } }
                            td class=[l.c("td")] { (num.map(|n| n.country.as_str()).unwrap_or("")) }
                            td class=[l.c("td")] { (c.disposition.as_str()) }
                            td class=[l.c("num")] { (money(t.cost(i))) " " (cur) }
                            td class=[l.c("td")] { span class=[l.c("code")] { (clean(&t.files[c.file as usize])) ":" (c.line) } }
                        }
                    } }
                }
            }
        }
    }
}

/// `12:05` (minutes:seconds), `1:02:05` from an hour.
fn mmss(s: u32) -> String {
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}

/// Rejected and repaired rows with file and line, per-file accounting, notes.
fn import_section(l: Look, rep: &Report) -> Markup {
    let s = &rep.summary;
    let rows = |id: &str, title: String, list: &[crate::import::RowIssue]| {
        html! {
            h3 class=[l.c("h3")] { (title) }
            div class="scroll" {
                table id=(id) class=[l.c("table")] {
                    thead { tr { th class=[l.c("th")] { "file" } th class=[l.c("th")] { "line" } th class=[l.c("th")] { "problem" } } }
                    tbody { @for r in list {
                        tr {
                            td class=[l.c("td")] { span class=[l.c("code")] { (clean(&r.file)) } }
                            td class=[l.c("num")] { (r.line) }
                            td class=[l.c("td")] { span class=[l.c("code")] { (clean(&r.message)) } }
                        }
                    } }
                }
            }
        }
    };
    let notes: Vec<String> = s
        .notes
        .iter()
        .map(|n| clean(n))
        .chain(
            s.files
                .iter()
                .filter(|f| !f.note.is_empty())
                .map(|f| format!("{}: {}", clean(&f.file), clean(&f.note))),
        )
        .collect();
    html! {
        section id="import" {
            h2 class=[l.c("h2")] { "Input" }
            @if s.rows_rejected > 0 {
                (rows("table-rejected", format!("{} row(s) rejected (first {} shown; nothing else was skipped)", s.rows_rejected, s.rejected.len()), &s.rejected))
            }
            @if s.rows_repaired_split > 0 {
                (rows("table-repaired", format!("{} row(s) repaired (surplus fields re-joined; first {} shown)", s.rows_repaired_split, s.repaired.len()), &s.repaired))
            }
            @if s.rows_repaired_utf8 > 0 {
                p { (s.rows_repaired_utf8) " row(s) had bytes that were not UTF-8; they were read with replacement characters." }
            }
            h3 class=[l.c("h3")] { "Files" }
            div class="scroll" {
                table id="table-files" class=[l.c("table")] {
                    thead { tr {
                        th class=[l.c("th")] { "file" } th class=[l.c("th")] { "format" } th class=[l.c("th")] { "fit" }
                        th class=[l.c("th")] { "rows" } th class=[l.c("th")] { "rejected" } th class=[l.c("th")] { "repaired" }
                    } }
                    tbody { @for f in &s.files {
                        tr {
                            td class=[l.c("td")] { span class=[l.c("code")] { (clean(&f.file)) } }
                            td class=[l.c("td")] { @if f.format.is_empty() { "skipped" } @else { (f.format) } }
                            td class=[l.c("num")] { @if !f.format.is_empty() { (f.confidence) "%" } }
                            td class=[l.c("num")] { (f.rows_read) }
                            td class=[l.c("num")] { (f.rows_rejected) }
                            td class=[l.c("num")] { (f.rows_repaired_split + f.rows_repaired_utf8) }
                        }
                    } }
                }
            }
            @if !notes.is_empty() {
                h3 class=[l.c("h3")] { "Notes" }
                ul id="notes" { @for n in &notes { li { (n) } } }
            }
        }
    }
}

fn footer(l: Look, rep: &Report) -> Markup {
    html! {
        footer class=[l.c("foot")] style=[l.s("foot")] {
            "Generated by " (rep.tool.name) " " (rep.tool.version) " in " (format!("{:.2}", rep.summary.elapsed_ms as f64 / 1000.0)) " s. "
            "Costs are indicative estimates, not a bill. CDR text in this report is shown as text, never interpreted."
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{ConfigFile, Overrides};

    /// An account-code subject, a caller name, a dialled number and a rejected row, all
    /// hostile; audited for real from a file.
    const HOSTILE: &str = "<img src=x onerror=alert(1)>";

    fn audit(dir: &std::path::Path) -> (Config, Report, AuditResult) {
        let good = |acct: &str, name: &str, dst: &str, start: &str, end: &str| {
            format!(
                "\"{acct}\",\"201\",\"{dst}\",\"from-internal\",\"\"\"{name}\"\" <201>\",\"PJSIP/201-01\",\"PJSIP/telekom-02\",\"Dial\",\"x\",\"{start}\",\"{start}\",\"{end}\",1055,1051,\"ANSWERED\",\"DOCUMENTATION\"\n"
            )
        };
        let mut text = String::new();
        for (m, dst) in [(10, "0088216123456"), (40, "0088216123457")] {
            text.push_str(&good(
                HOSTILE,
                "<script>alert(2)</script>",
                dst,
                &format!("2026-03-07 02:{m}:05"),
                &format!("2026-03-07 02:{}:40", m + 17),
            ));
        }
        text.push_str("<b>not a row</b>\n");
        let path = dir.join("Master.csv");
        std::fs::write(&path, text).unwrap();
        let file = ConfigFile::parse(
            "[site]\ntimezone = \"Europe/Berlin\"\nsubject_by = \"account\"\n",
            std::path::Path::new("t.toml"),
        )
        .unwrap();
        let config = Config::resolve(file, Overrides::default()).unwrap();
        let result = crate::audit::run(&config, &[path.display().to_string()]).unwrap();
        let rep = Report::build(&config, &result);
        (config, rep, result)
    }

    #[test]
    fn report_file_escapes_cdr_text_and_has_charts() {
        let dir = tempfile::tempdir().unwrap();
        let (config, rep, result) = audit(dir.path());
        assert!(
            !rep.incidents.is_empty(),
            "the fixture must produce an incident"
        );
        let mut out = Vec::new();
        render(&config, &rep, &result, &mut out).unwrap();
        let html = String::from_utf8(out).unwrap();
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert!(html.contains(CSP));
        assert!(!html.contains("<img"), "raw markup from the CDR");
        assert!(!html.contains("<script"), "raw markup from the CDR");
        assert!(!html.contains("<b>not"), "raw markup from a rejected row");
        assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"));
        assert!(html.contains("&lt;script&gt;alert(2)&lt;/script&gt;"));
        for id in ["chart-hours", "chart-countries", "timeline-1"] {
            assert!(html.contains(&format!("<svg id=\"{id}\"")), "{id}");
        }
    }

    #[test]
    fn email_is_inline_styled_without_svg_and_leads_with_the_worst_incident() {
        let dir = tempfile::tempdir().unwrap();
        let (config, rep, result) = audit(dir.path());
        let html = render_email(&config, &rep, &result);
        assert!(!html.contains("<svg") && !html.contains("<style") && !html.contains("class="));
        assert!(!html.contains("<img") && !html.contains("<script"));
        let line = headline(&rep).unwrap();
        assert!(
            line.contains("account <img src=x onerror=alert(1)>"),
            "{line}"
        );
        assert!(line.contains("called 001"), "{line}");
        let escaped = maud::html! { (line) }.into_string();
        assert!(html.contains(&escaped), "headline missing");
        assert!(html.contains("What to do now"));
        assert!(html.contains("max-width:640px"));
    }

    #[test]
    fn worst_prefers_severity_then_cost_order() {
        let dir = tempfile::tempdir().unwrap();
        let (_, mut rep, _) = audit(dir.path());
        let mut second = rep.incidents[0].clone();
        second.id = "I2".into();
        second.severity = Severity::Critical;
        rep.incidents[0].severity = Severity::High;
        rep.incidents.push(second);
        assert_eq!(worst(&rep).unwrap().id, "I2");
        rep.incidents[0].severity = Severity::Critical;
        assert_eq!(worst(&rep).unwrap().id, "I1");
    }

    #[test]
    fn durations_read_as_clock_times() {
        assert_eq!(mmss(0), "0:00");
        assert_eq!(mmss(65), "1:05");
        assert_eq!(mmss(3725), "1:02:05");
    }
}

//! The SMTP connection (lettre, rustls with the ring provider): TLS mode, trusted roots,
//! credentials, timeout, and errors worded for an administrator.
//!
//! Only the ring crypto provider is compiled in: two rustls providers in one binary make rustls
//! panic at run time ("could not automatically determine the process-level CryptoProvider").

use super::settings::{Smtp, TlsMode};
use lettre::address::Envelope;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{SmtpTransport, Transport};

/// A ready transport plus the `host:port` used in messages.
pub struct Mailer {
    transport: SmtpTransport,
    server: String,
}

impl Mailer {
    /// Builds the transport (no connection is made yet).
    pub fn new(s: &Smtp) -> Result<Mailer, String> {
        let server = format!("{}:{}", s.host, s.port);
        let tls = match s.tls {
            TlsMode::None => Tls::None,
            mode => {
                let mut p = TlsParameters::builder(s.host.clone());
                if let Some(pem) = &s.ca_pem {
                    let cert = Certificate::from_pem(pem)
                        .map_err(|e| format!("[email] ca_file is not a PEM certificate: {e}"))?;
                    p = p.add_root_certificate(cert);
                }
                let p = p
                    .build()
                    .map_err(|e| format!("cannot set up TLS for {server}: {e}"))?;
                if mode == TlsMode::Tls {
                    Tls::Wrapper(p)
                } else {
                    // Required, never Opportunistic: a server (or a man in the middle) that
                    // hides STARTTLS must not get the alert, let alone the password, in clear.
                    Tls::Required(p)
                }
            }
        };
        let mut b = SmtpTransport::builder_dangerous(&s.host)
            .port(s.port)
            .tls(tls)
            .timeout(Some(s.timeout));
        if let Some((user, pass)) = &s.credentials {
            b = b.credentials(Credentials::new(user.clone(), pass.clone()));
        }
        Ok(Mailer {
            transport: b.build(),
            server,
        })
    }

    /// `host:port`.
    pub fn server(&self) -> &str {
        &self.server
    }

    /// Sends one message as given (already formatted bytes, so a spooled message goes out
    /// byte for byte as it was composed).
    pub fn send(&self, envelope: &Envelope, raw: &[u8]) -> Result<(), String> {
        self.transport
            .send_raw(envelope, raw)
            .map(|_| ())
            .map_err(|e| explain(&self.server, &e))
    }
}

/// One line saying what went wrong and what to check.
fn explain(server: &str, e: &lettre::transport::smtp::Error) -> String {
    let text = e.to_string().to_ascii_lowercase();
    // rustls failures during the handshake reach lettre as network errors: look at the cause.
    let tls = e.is_tls()
        || ["certificate", "handshake", "tls", "ssl"]
            .iter()
            .any(|w| text.contains(w));
    let hint = if tls {
        "TLS failed: check the host name matches the server's certificate, the tls mode \
         (starttls on 587, tls on 465) and [email] ca_file for a private CA"
    } else if e.is_timeout() {
        "the server did not answer in time"
    } else if e.status().is_some_and(|c| {
        let s = c.to_string();
        s.starts_with("535") || s.starts_with("534") || s.starts_with("530")
    }) {
        "authentication refused: check [email] user and the password"
    } else if e.is_permanent() {
        "the server refused the message"
    } else if e.is_transient() {
        "the server asked to retry later"
    } else {
        "cannot talk to the server: is it up, and is the host and port right?"
    };
    format!("{server}: {hint} ({e})")
}

//! The command line (clap derive). Doc comments here are the `--help` text.

use crate::config::{Country, TimeZone};
use crate::rules::Severity;
use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Finds telephone toll fraud (IRSF, premium-rate abuse, off-hours bursts, hacked extensions)
/// in PBX call detail records.
///
/// Exit codes: 0 nothing at or above --fail-on, 1 findings at or above it, 2 error.
#[derive(Debug, Parser)]
#[command(name = "tollguard", version, about, max_term_width = 100)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Audit CDR files: import, classify, run every rule, report.
    Audit(AuditArgs),
    /// Audit only what is new since the last run, against learned baselines, reporting only
    /// new incidents (for cron or a systemd timer; state in --state DIR).
    Nightly(NightlyArgs),
    /// Write the normalized, classified and priced calls as Parquet (DuckDB, polars, Spark).
    Export(ExportArgs),
    /// Forget a subject's learned baseline (its rows in the nightly history and its reported
    /// incidents), e.g. when an extension gets a new user.
    ResetBaseline {
        /// The subject as reports name it, e.g. `extension 203`.
        subject: String,
        /// State directory (default: [state] dir, else the user's state directory).
        #[arg(long, value_name = "DIR")]
        state: Option<PathBuf>,
        /// Configuration file (for [state] dir).
        #[arg(short, long)]
        config: Option<PathBuf>,
    },
    /// Write a commented example configuration.
    Init {
        /// Where to write it (`-` for stdout).
        #[arg(default_value = "tollguard.toml")]
        path: PathBuf,
        /// Overwrite an existing file.
        #[arg(long)]
        force: bool,
    },
    /// List the rules with id, default severity and whether they are enabled.
    Rules {
        /// Configuration file (to show what is enabled there).
        #[arg(short, long)]
        config: Option<PathBuf>,
    },
    /// Print a rule's documentation and its current settings.
    Explain {
        /// Rule id (TG001) or name (premium-rate).
        rule: String,
        /// Configuration file (to show its settings for the rule).
        #[arg(short, long)]
        config: Option<PathBuf>,
    },
    /// List the CDR formats tollguard reads, with the PBX versions they were checked against.
    Formats,
    /// Show which format each file is recognized as, and how well every format fits.
    Detect {
        /// CDR files, directories, glob patterns, or `-` for stdin.
        #[arg(required = true)]
        inputs: Vec<String>,
        /// Configuration file (its [import.mapping] takes part in detection).
        #[arg(short, long)]
        config: Option<PathBuf>,
    },
    /// Print the normalized calls as CSV, then the rejected rows (to check an importer).
    Normalize(NormalizeArgs),
    /// Send a test message with the [email] settings, to check them before cron relies on them.
    TestEmail(TestEmailArgs),
    /// Show how numbers are classified (country, type, risk, rate) with the site settings.
    Classify {
        /// Dialled numbers, as the PBX would log them.
        #[arg(required = true)]
        numbers: Vec<String>,
        /// Configuration file.
        #[arg(short, long)]
        config: Option<PathBuf>,
        /// Home country (ISO 3166 alpha-2).
        #[arg(long)]
        country: Option<Country>,
    },
}

/// What to read and how to read it: shared by `audit` and `normalize`.
#[derive(Debug, clap::Args)]
pub struct InputArgs {
    /// CDR files, directories, glob patterns, or `-` for stdin. Gzip is read transparently.
    #[arg(required = true)]
    pub inputs: Vec<String>,
    /// Input format (default: detect per file). See `tollguard formats`.
    #[arg(long)]
    pub format: Option<String>,
    /// Configuration file (TOML; `tollguard init` writes an example). Default: built-in settings.
    #[arg(short, long)]
    pub config: Option<PathBuf>,
    /// Home country, ISO 3166 alpha-2 (default DE, or [site] country).
    #[arg(long)]
    pub country: Option<Country>,
    /// Site time zone, IANA name (default: [site] timezone, else this machine's zone).
    #[arg(long)]
    pub tz: Option<TimeZone>,
    /// Time zone of the CDR timestamps, if not the site's (e.g. UTC for usegmtime=yes).
    #[arg(long)]
    pub source_tz: Option<TimeZone>,
}

/// Options of `normalize`.
#[derive(Debug, clap::Args)]
pub struct NormalizeArgs {
    /// Inputs and how to read them.
    #[command(flatten)]
    pub input: InputArgs,
}

/// Output formats of `audit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Output {
    /// Human-readable report.
    Terminal,
    /// Machine-readable report (schema tollguard.audit/1).
    Json,
    /// The flagged calls, spreadsheet-safe.
    Csv,
    /// One self-contained HTML file with charts (use with --out report.html).
    Html,
}

/// Options of `audit`.
#[derive(Debug, clap::Args)]
pub struct AuditArgs {
    /// Inputs and how to read them.
    #[command(flatten)]
    pub input: InputArgs,
    /// Report format.
    #[arg(short, long, value_enum, default_value_t = Output::Terminal)]
    pub output: Output,
    /// Write the report to this file instead of stdout.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Exit with 1 when an incident is at or above this severity (default medium).
    #[arg(long)]
    pub fail_on: Option<Severity>,
    /// Hide findings below this severity (default low).
    #[arg(long)]
    pub min_severity: Option<Severity>,
    /// Treat any rejected row as an error (exit 2).
    #[arg(long)]
    pub strict: bool,
    /// Show under each finding how its severity came about and the rule's settings.
    #[arg(long)]
    pub explain: bool,
    /// Your carrier's rate deck (CSV prefix,description,rate), overriding the built-in rates.
    #[arg(long)]
    pub rate_deck: Option<PathBuf>,
    /// Email an alert when an incident reaches [email] min_severity (first sending any alerts
    /// spooled by earlier runs). Needs [email] settings or the --smtp-* and --email-* options.
    #[arg(long, help_heading = "Email alerts")]
    pub email: bool,
    /// Write the alert as an .eml file instead of sending it (works without SMTP settings;
    /// sender and recipients default to placeholders).
    #[arg(long, value_name = "PATH", help_heading = "Email alerts")]
    pub email_to_file: Option<PathBuf>,
    /// Email settings.
    #[command(flatten)]
    pub smtp: SmtpArgs,
}

/// Email settings on the command line; they win over `[email]`. The password is deliberately
/// not an option (the process list and shell history would show it).
#[derive(Debug, Clone, Default, clap::Args)]
#[command(next_help_heading = "Email alerts")]
pub struct SmtpArgs {
    /// SMTP server ([email] host).
    #[arg(long, value_name = "HOST")]
    pub smtp_host: Option<String>,
    /// SMTP port (default 587 for starttls, 465 for tls, 25 for none).
    #[arg(long, value_name = "PORT")]
    pub smtp_port: Option<u16>,
    /// Encryption: starttls (default), tls (implicit, port 465), none (localhost only).
    #[arg(long, value_enum, value_name = "MODE")]
    pub smtp_tls: Option<crate::email::settings::TlsMode>,
    /// SMTP user name (needs --smtp-password-env or --smtp-password-file, and TLS).
    #[arg(long, value_name = "USER")]
    pub smtp_user: Option<String>,
    /// Environment variable holding the SMTP password.
    #[arg(long, value_name = "VAR")]
    pub smtp_password_env: Option<String>,
    /// File holding the SMTP password.
    #[arg(long, value_name = "PATH")]
    pub smtp_password_file: Option<PathBuf>,
    /// Extra trusted CA certificate (PEM) for a server with a private CA.
    #[arg(long, value_name = "PATH")]
    pub smtp_ca_file: Option<PathBuf>,
    /// Sender address.
    #[arg(long, value_name = "ADDRESS")]
    pub email_from: Option<String>,
    /// Recipient (repeat for several; replaces [email] to).
    #[arg(long, value_name = "ADDRESS")]
    pub email_to: Vec<String>,
    /// Send only for incidents at or above this severity (default medium).
    #[arg(long, value_name = "SEVERITY")]
    pub email_min_severity: Option<Severity>,
    /// Directory for undelivered alerts (default ~/.local/state/tollguard/spool).
    #[arg(long, value_name = "DIR")]
    pub spool_dir: Option<PathBuf>,
}

impl SmtpArgs {
    /// As overrides of `[email]`.
    pub fn overrides(&self) -> crate::email::settings::EmailOverrides {
        crate::email::settings::EmailOverrides {
            host: self.smtp_host.clone(),
            port: self.smtp_port,
            tls: self.smtp_tls,
            user: self.smtp_user.clone(),
            password_env: self.smtp_password_env.clone(),
            password_file: self.smtp_password_file.clone(),
            ca_file: self.smtp_ca_file.clone(),
            from: self.email_from.clone(),
            to: self.email_to.clone(),
            min_severity: self.email_min_severity,
            spool_dir: self.spool_dir.clone(),
        }
    }
}

/// Options of `test-email`.
#[derive(Debug, clap::Args)]
pub struct TestEmailArgs {
    /// Configuration file with an [email] section.
    #[arg(short, long)]
    pub config: Option<PathBuf>,
    /// Email settings.
    #[command(flatten)]
    pub smtp: SmtpArgs,
}

/// Options of `nightly`: those of `audit` plus the state.
#[derive(Debug, clap::Args)]
pub struct NightlyArgs {
    /// Inputs, report format and thresholds, as for `audit`.
    #[command(flatten)]
    pub audit: AuditArgs,
    /// State directory: cursors, history, alert state, lock (default: [state] dir, else
    /// $XDG_STATE_HOME/tollguard or ~/.local/state/tollguard).
    #[arg(long, value_name = "DIR")]
    pub state: Option<PathBuf>,
    /// Days of hourly history kept (default: [state] retention_days, 120).
    #[arg(long)]
    pub retention_days: Option<u32>,
}

/// Options of `export`.
#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// Write a Parquet file here.
    #[arg(long, value_name = "OUT", required = true)]
    pub parquet: PathBuf,
    /// Inputs and how to read them.
    #[command(flatten)]
    pub input: InputArgs,
    /// Your carrier's rate deck (CSV prefix,description,rate), overriding the built-in rates.
    #[arg(long)]
    pub rate_deck: Option<PathBuf>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_well_formed_and_every_option_has_help() {
        Cli::command().debug_assert();
        for sub in Cli::command().get_subcommands() {
            assert!(sub.get_about().is_some(), "{} lacks help", sub.get_name());
            for arg in sub.get_arguments() {
                assert!(
                    arg.get_help().is_some(),
                    "{} {} lacks help",
                    sub.get_name(),
                    arg.get_id()
                );
            }
        }
    }
}

//! The `tollguard` binary: parses the command line, resolves the configuration, calls the
//! library and maps the outcome to exit codes (0 clean, 1 findings, 2 error).

use anyhow::{bail, Context as _, Result};
use clap::Parser;
use std::io::{BufWriter, IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;
use tollguard::cli::{AuditArgs, Cli, Command, ExportArgs, InputArgs, NightlyArgs, Output};
use tollguard::config::{Config, ConfigFile, Overrides};
use tollguard::report::{self, Report};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            // A closed pipe (`tollguard ... | head`) is not an error.
            if e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) {
                return ExitCode::SUCCESS;
            }
            eprintln!("tollguard: error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn load(path: Option<&Path>) -> Result<ConfigFile> {
    Ok(match path {
        Some(p) => ConfigFile::load(p)?,
        None => ConfigFile::default(),
    })
}

fn run(cli: Cli) -> Result<u8> {
    match cli.command {
        Command::Audit(args) => audit(args),
        Command::Nightly(args) => nightly(args),
        Command::Export(args) => export(args),
        Command::ResetBaseline {
            subject,
            state,
            config,
        } => {
            let c = Config::resolve(load(config.as_deref())?, Overrides::default())?;
            let dir = c.state.resolve_dir(state.as_deref())?;
            let n = tollguard::state::reset_subject(&dir, &subject)?;
            eprintln!(
                "removed {n} history row(s) of {subject} from {}; its baseline starts over",
                dir.display()
            );
            Ok(0)
        }
        Command::Init { path, force } => {
            if path.as_os_str() == "-" {
                std::io::stdout().write_all(tollguard::config::EXAMPLE.as_bytes())?;
            } else {
                if path.exists() && !force {
                    bail!("{} exists; use --force to overwrite", path.display());
                }
                std::fs::write(&path, tollguard::config::EXAMPLE)
                    .with_context(|| format!("cannot write {}", path.display()))?;
                eprintln!("wrote {}", path.display());
            }
            Ok(0)
        }
        Command::Rules { config } => {
            let c = Config::resolve(load(config.as_deref())?, Overrides::default())?;
            let mut out = std::io::stdout().lock();
            writeln!(
                out,
                "{:<6} {:<20} {:<9} {:<8} SUMMARY",
                "ID", "NAME", "SEVERITY", "ENABLED"
            )?;
            for e in tollguard::rules::REGISTRY {
                let on = (e.build)(&c.rules).is_some();
                writeln!(
                    out,
                    "{:<6} {:<20} {:<9} {:<8} {}",
                    e.meta.id,
                    e.meta.name,
                    e.meta.default_severity.as_str(),
                    if on { "yes" } else { "no" },
                    e.meta.summary
                )?;
            }
            Ok(0)
        }
        Command::Explain { rule, config } => {
            let c = Config::resolve(load(config.as_deref())?, Overrides::default())?;
            let Some(e) = tollguard::rules::lookup(&rule) else {
                bail!("unknown rule `{rule}`; see `tollguard rules`");
            };
            let mut out = std::io::stdout().lock();
            writeln!(
                out,
                "{} {} (default severity {})",
                e.meta.id, e.meta.name, e.meta.default_severity
            )?;
            writeln!(out, "{}\n", e.meta.summary)?;
            writeln!(out, "{}\n", e.meta.doc)?;
            writeln!(out, "Current settings ([rules.{}]):", e.meta.name)?;
            let site = (e.settings)(&c.rules);
            write!(out, "{site}")?;
            for g in &c.groups {
                let own = (e.settings)(&g.rules);
                if own != site {
                    writeln!(out, "\nFor subject group `{}`:", g.name)?;
                    write!(out, "{own}")?;
                }
            }
            Ok(0)
        }
        Command::Formats => {
            let mut out = std::io::stdout().lock();
            for f in tollguard::import::FORMATS {
                writeln!(out, "{:<16} {}", f.name(), f.description())?;
                writeln!(out, "{:<16} checked against: {}", "", f.checked_against())?;
            }
            writeln!(
                out,
                "{:<16} any other CSV, through a column mapping in [import.mapping] (see `tollguard init`)",
                "generic"
            )?;
            Ok(0)
        }
        Command::Detect { inputs, config } => detect(&inputs, config.as_deref()),
        Command::TestEmail(args) => test_email(args),
        Command::Normalize(args) => {
            let config = resolve(&args.input, Overrides::default())?;
            let (table, stats) = tollguard::audit::import(&config, &args.input.inputs)?;
            let mut w = BufWriter::new(std::io::stdout().lock());
            report::normalized::render(&table, &stats, &mut w)?;
            w.flush()?;
            Ok(0)
        }
        Command::Classify {
            numbers,
            config,
            country,
        } => {
            let c = Config::resolve(
                load(config.as_deref())?,
                Overrides {
                    country,
                    ..Default::default()
                },
            )?;
            let classifier = tollguard::number::Classifier::from_config(&c)?;
            let mut out = std::io::stdout().lock();
            for n in numbers {
                let info = classifier.classify(&n);
                writeln!(
                    out,
                    "{}",
                    serde_json::to_string(&serde_json::json!({"dialled": n, "info": info}))?
                )?;
            }
            Ok(0)
        }
    }
}

/// The configuration from the input options plus `extra` overrides.
fn resolve(input: &InputArgs, extra: Overrides) -> Result<Config> {
    Ok(Config::resolve(
        load(input.config.as_deref())?,
        Overrides {
            country: input.country,
            tz: input.tz,
            source_tz: input.source_tz,
            format: input.format.clone(),
            ..extra
        },
    )?)
}

/// `tollguard detect`: the verdict per file and every fitting format's score. Exit 2 when a
/// file fits no format (what `audit` would refuse), else 0.
fn detect(inputs: &[String], config: Option<&Path>) -> Result<u8> {
    let c = Config::resolve(load(config)?, Overrides::default())?;
    let generic = c
        .import
        .mapping
        .clone()
        .map(tollguard::import::generic::Generic::new)
        .transpose()
        .map_err(anyhow::Error::msg)?;
    let opts = tollguard::import::ImportOptions {
        generic,
        ..Default::default()
    };
    let sources = tollguard::input::resolve(inputs)?;
    let found = tollguard::import::detect::explain(&sources, &opts)?;
    let mut out = std::io::stdout().lock();
    let mut code = 0;
    for d in found {
        let file = report::terminal::clean(&d.file);
        match &d.chosen {
            Ok((name, score)) => writeln!(
                out,
                "{file}: {name} ({score}% of the sampled rows fit; {})",
                tollguard::import::detect::verdict(*score)
            )?,
            Err(e) if d.discovered => writeln!(out, "{file}: skipped (found in a directory): {e}")?,
            Err(e) => {
                code = 2;
                writeln!(out, "{file}: not recognized: {e}")?
            }
        }
        for (name, score, header_rows, width) in &d.scores {
            let shape = match (header_rows, width) {
                (0, _) => "no header".to_string(),
                (h, w) => format!("{h} header row(s), {w} columns"),
            };
            writeln!(out, "    {name:<16} {score:>3}%  {shape}")?;
        }
        if d.scores.is_empty() {
            writeln!(out, "    (no format fits any sampled row)")?;
        }
    }
    Ok(code)
}

/// The configuration of `audit` and `nightly`.
fn audit_config(args: &AuditArgs) -> Result<Config> {
    resolve(
        &args.input,
        Overrides {
            strict: args.strict,
            fail_on: args.fail_on,
            min_severity: args.min_severity,
            carrier_deck: args.rate_deck.clone(),
            ..Default::default()
        },
    )
}

fn audit(args: AuditArgs) -> Result<u8> {
    let config = audit_config(&args)?;
    start_progress(&args.input.inputs);
    let result = tollguard::audit::run(&config, &args.input.inputs);
    tollguard::progress::finish();
    let result = result?;
    let mut rep = Report::build(&config, &result);
    rep.explain = args.explain;
    write_report(&args, &config, &rep, &result)?;
    if let Some(e) = alert(&config, &args, &rep, &result)? {
        eprintln!("tollguard: error: {e}");
        return Ok(2);
    }
    Ok(u8::from(report::has_findings_at(
        &rep,
        config.report.fail_on,
    )))
}

/// `tollguard nightly`: one crash-safe incremental run. The report is delivered (written like
/// `audit` writes it) before the state is committed.
fn nightly(args: NightlyArgs) -> Result<u8> {
    let mut config = audit_config(&args.audit)?;
    if let Some(d) = args.retention_days {
        config.state.retention_days = d;
    }
    let dir = config.state.resolve_dir(args.state.as_deref())?;
    // A mail that could not be sent is spooled (it goes out with the next run): the report
    // counts as delivered and the state is committed; the exit code says it. A mail that could
    // not even be spooled fails delivery, and nothing is committed.
    let mut undelivered = None;
    let mut deliver = |rep: &Report, result: &tollguard::audit::AuditResult| {
        write_report(&args.audit, &config, rep, result)?;
        undelivered = alert(&config, &args.audit, rep, result)?;
        Ok(tollguard::nightly::Delivered {
            to: args
                .audit
                .out
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_else(|| "stdout".into()),
        })
    };
    let outcome = tollguard::nightly::run(
        &config,
        &args.audit.input.inputs,
        &dir,
        args.audit.explain,
        &mut deliver,
    )?;
    if let Some(e) = undelivered {
        eprintln!("tollguard: error: {e}");
        return Ok(2);
    }
    Ok(u8::from(report::has_findings_at(
        &outcome.report,
        config.report.fail_on,
    )))
}

/// `tollguard export --parquet OUT INPUTS...`.
fn export(args: ExportArgs) -> Result<u8> {
    let config = resolve(
        &args.input,
        Overrides {
            carrier_deck: args.rate_deck.clone(),
            ..Default::default()
        },
    )?;
    let (table, stats) = tollguard::audit::import(&config, &args.input.inputs)?;
    let n = tollguard::export::write(&table, &args.parquet)?;
    eprintln!(
        "wrote {n} calls to {} ({} rows read, {} rejected)",
        args.parquet.display(),
        stats.rows_read,
        stats.rows_rejected
    );
    Ok(0)
}

/// Writes a report to `--out` or stdout in the chosen format.
fn write_report(
    args: &AuditArgs,
    config: &Config,
    rep: &Report,
    result: &tollguard::audit::AuditResult,
) -> Result<()> {
    let sink: Box<dyn Write> = match &args.out {
        Some(p) => Box::new(
            std::fs::File::create(p).with_context(|| format!("cannot write {}", p.display()))?,
        ),
        None => Box::new(std::io::stdout().lock()),
    };
    let mut w = BufWriter::new(sink);
    match args.output {
        Output::Terminal => report::terminal::render(rep, &mut w)?,
        Output::Json => report::json::render(rep, &mut w)?,
        Output::Csv => report::csv::render(config, rep, result, &mut w)?,
        Output::Html => report::html::render(config, rep, result, &mut w)?,
    }
    w.flush()?;
    Ok(())
}

/// Shows a progress bar for inputs above 32 MB when stderr is a terminal (never under cron).
fn start_progress(inputs: &[String]) {
    const WORTH_A_BAR: u64 = 32 << 20;
    if !std::io::stderr().is_terminal() {
        return;
    }
    let Ok(sources) = tollguard::input::resolve(inputs) else {
        return; // the audit itself reports the error
    };
    let total: u64 = sources
        .iter()
        .filter_map(|s| std::fs::metadata(&s.path).ok())
        .map(|m| m.len())
        .sum();
    if total >= WORTH_A_BAR {
        tollguard::progress::start(total);
    }
}

/// `--email` / `--email-to-file`: composes the alert and sends, spools or writes it. Returns
/// the delivery error (exit 2) if the alert could not be delivered.
fn alert(
    config: &Config,
    args: &AuditArgs,
    rep: &Report,
    result: &tollguard::audit::AuditResult,
) -> Result<Option<String>> {
    use tollguard::email::{self, message};
    if !args.email && args.email_to_file.is_none() {
        return Ok(None);
    }
    let mut settings = config.email.clone().merged(&args.smtp.overrides());
    if args.email_to_file.is_some() {
        // A preview needs no mail setup: placeholders stand in for missing addresses.
        settings
            .from
            .get_or_insert_with(|| "tollguard <tollguard@localhost>".into());
        if settings.to.is_empty() {
            settings.to.push("pbx-admin@localhost".into());
        }
    }
    let compose = settings.compose().map_err(anyhow::Error::msg)?;
    let incidents = message::alerting(rep, compose.min_severity);
    let msg = if incidents.is_empty() {
        None
    } else {
        let subject = message::subject(&compose.subject, rep, &incidents);
        let severity = report::html::worst(rep).map(|i| i.severity);
        let parts = email_parts(config, rep, result, &subject)?;
        Some(message::build(&compose, &subject, severity, parts).map_err(anyhow::Error::msg)?)
    };
    let quiet = !std::io::stderr().is_terminal();
    if let Some(path) = &args.email_to_file {
        match &msg {
            Some(m) => {
                email::write_eml(m, path).map_err(anyhow::Error::msg)?;
                if !quiet {
                    eprintln!("alert written to {}", path.display());
                }
            }
            None => eprintln!(
                "no alert written: no incident at or above {} (--email-min-severity)",
                compose.min_severity
            ),
        }
        return Ok(None);
    }
    let spool = settings.spool_dir().map_err(anyhow::Error::msg)?;
    let out = email::deliver(
        settings.smtp(&|v| std::env::var(v).ok()),
        &spool,
        msg.as_ref(),
    );
    if !quiet && (out.sent || out.resent > 0) {
        eprintln!(
            "alert{} sent to {}{}",
            if out.sent { "" } else { "s" },
            recipients(&compose),
            match out.resent {
                0 => String::new(),
                n => format!(" ({n} spooled from earlier runs)"),
            }
        );
    }
    Ok(out.error.map(|e| {
        format!(
            "alert not delivered: {e}\n{} message(s) wait in {} and go out with the next run's --email",
            out.waiting.len(),
            spool.display()
        )
    }))
}

/// The alert's text, HTML and CSV parts.
fn email_parts(
    config: &Config,
    rep: &Report,
    result: &tollguard::audit::AuditResult,
    subject: &str,
) -> Result<tollguard::email::message::Parts> {
    let mut text = Vec::new();
    writeln!(text, "{subject}\n")?;
    report::terminal::render(rep, &mut text)?;
    let text = String::from_utf8_lossy(&text).into_owned();
    let mut csv = Vec::new();
    report::csv::render(config, rep, result, &mut csv)?;
    let html = report::html::render_email(config, rep, result);
    Ok(tollguard::email::message::Parts {
        text,
        html,
        csv: (rep.summary.findings > 0).then_some(csv),
    })
}

/// The recipients' addresses, for messages about a delivery.
fn recipients(c: &tollguard::email::settings::Compose) -> String {
    c.to.iter()
        .map(|m| m.email.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// `tollguard test-email`.
fn test_email(args: tollguard::cli::TestEmailArgs) -> Result<u8> {
    let c = Config::resolve(load(args.config.as_deref())?, Overrides::default())?;
    let settings = c.email.clone().merged(&args.smtp.overrides());
    let compose = settings.compose().map_err(anyhow::Error::msg)?;
    let smtp = settings
        .smtp(&|v| std::env::var(v).ok())
        .map_err(anyhow::Error::msg)?;
    let mailer = tollguard::email::transport::Mailer::new(&smtp).map_err(anyhow::Error::msg)?;
    let msg = tollguard::email::message::test_message(&compose, mailer.server())
        .map_err(anyhow::Error::msg)?;
    mailer
        .send(msg.envelope(), &msg.formatted())
        .map_err(|e| anyhow::anyhow!("test message not sent: {e}"))?;
    println!(
        "test message sent through {} to {}",
        mailer.server(),
        recipients(&compose)
    );
    Ok(0)
}

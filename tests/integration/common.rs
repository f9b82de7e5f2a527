//! Helpers shared by the integration tests: run the real binary, parse its JSON.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// Path of the built binary.
pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_tollguard"))
}

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs tollguard with `args` in `cwd`, feeding `stdin`. TZ is pinned so that nothing depends
/// on the machine's zone unless a test asks.
pub fn run_in(cwd: &Path, args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut cmd = Command::new(bin());
    cmd.args(args)
        .current_dir(cwd)
        .env("TZ", "Europe/Berlin")
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn tollguard");
    if let Some(data) = stdin {
        let mut s = child.stdin.take().unwrap();
        s.write_all(data).unwrap();
    }
    child.wait_with_output().expect("wait for tollguard")
}

/// Runs tollguard in the repository root.
pub fn run(args: &[&str]) -> Output {
    run_in(&root(), args, None)
}

/// Exit code.
pub fn code(o: &Output) -> i32 {
    o.status.code().expect("exit code")
}

/// Stdout as text.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Stderr as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Stdout parsed as JSON (panics with stderr on failure).
pub fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}); stderr: {}", stderr(o)))
}

/// An 16-column Asterisk cdr_csv row.
#[allow(clippy::too_many_arguments)]
pub fn asterisk_row(
    src: &str,
    dst: &str,
    channel: &str,
    dst_channel: &str,
    start: &str,
    answer: &str,
    end: &str,
    duration: u32,
    billsec: u32,
    disposition: &str,
) -> String {
    format!(
        "\"\",\"{src}\",\"{dst}\",\"from-internal\",\"\"\"User\"\" <{src}>\",\"{channel}\",\"{dst_channel}\",\"Dial\",\"PJSIP/{dst}@telekom,60\",\"{start}\",{},\"{end}\",{duration},{billsec},\"{disposition}\",\"DOCUMENTATION\"\n",
        if answer.is_empty() { String::new() } else { format!("\"{answer}\"") }
    )
}

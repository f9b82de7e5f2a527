//! Styles of the HTML report and of the e-mail's HTML part: one registry of named styles.
//!
//! The report file writes the registry once as a stylesheet (`.name{...}`) and refers to it by
//! class; the e-mail puts the same declarations on each element (`style="..."`), because Gmail
//! and Outlook drop `<style>` blocks. So both looks come from one list and cannot drift apart.

/// Which document a section is rendered into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Look {
    /// The standalone report file: classes plus one stylesheet.
    Page,
    /// An e-mail body: inline styles only.
    Email,
}

impl Look {
    /// The `class` attribute for a registered style (report file only).
    pub fn c(self, name: &'static str) -> Option<&'static str> {
        debug_assert!(css(name).is_some(), "unregistered style {name}");
        (self == Look::Page).then_some(name)
    }

    /// The `class` attribute for two registered styles (`card card-high`).
    pub fn c2(self, a: &'static str, b: &'static str) -> Option<String> {
        self.c(a).map(|a| format!("{a} {b}"))
    }

    /// The `style` attribute for two registered styles, the second winning.
    pub fn s2(self, a: &'static str, b: &'static str) -> Option<String> {
        Some(format!("{};{}", self.s(a)?, self.s(b)?))
    }

    /// The `style` attribute for a registered style (e-mail only).
    pub fn s(self, name: &'static str) -> Option<&'static str> {
        match self {
            Look::Page => None,
            Look::Email => css(name),
        }
    }
}

/// The registry: class name and its declarations.
pub const STYLES: &[(&str, &str)] = &[
    ("doc", "margin:0 auto;max-width:1040px;padding:24px 16px 48px"),
    ("mail", "margin:0 auto;max-width:640px;padding:16px 12px;font-family:-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;font-size:15px;line-height:1.45;color:#212529;background:#ffffff"),
    ("top", "margin:0 0 4px;font-size:26px;line-height:1.2;font-weight:700;color:#111827"),
    ("sub", "margin:0 0 20px;color:#5c6670;font-size:14px"),
    ("h2", "margin:32px 0 12px;font-size:20px;line-height:1.25;color:#111827;border-bottom:2px solid #e3e6ea;padding-bottom:6px"),
    ("h3", "margin:0 0 6px;font-size:18px;line-height:1.3;color:#111827"),
    ("h4", "margin:16px 0 6px;font-size:15px;color:#343a40"),
    ("verdict", "margin:0 0 20px;padding:16px 18px;border-radius:8px;border-left:6px solid #c92a2a;background:#fff5f5;color:#212529"),
    ("verdict-ok", "margin:0 0 20px;padding:16px 18px;border-radius:8px;border-left:6px solid #2b8a3e;background:#ebfbee;color:#212529"),
    ("headline", "margin:0 0 6px;font-size:18px;line-height:1.35;font-weight:700;color:#111827"),
    ("do", "margin:8px 0 0;padding:10px 12px;border-radius:6px;background:#fff3bf;color:#212529"),
    ("muted", "color:#5c6670"),
    ("small", "font-size:13px;color:#5c6670"),
    ("cards", "display:grid;grid-template-columns:repeat(auto-fit,minmax(128px,1fr));gap:10px;margin:0 0 8px"),
    ("stat", "padding:12px 14px;border:1px solid #e3e6ea;border-radius:8px;background:#ffffff"),
    ("stat-n", "display:block;font-size:22px;font-weight:700;color:#111827;font-variant-numeric:tabular-nums"),
    ("stat-l", "display:block;font-size:13px;color:#5c6670"),
    ("card", "margin:0 0 18px;padding:16px 18px;border:1px solid #e3e6ea;border-radius:10px;background:#ffffff"),
    ("card-critical", "border-left:6px solid #c92a2a"),
    ("card-high", "border-left:6px solid #e8590c"),
    ("card-medium", "border-left:6px solid #f0b400"),
    ("card-low", "border-left:6px solid #4c6ef5"),
    ("card-info", "border-left:6px solid #adb5bd"),
    ("badge", "display:inline-block;padding:2px 8px;border-radius:4px;font-size:12px;font-weight:700;letter-spacing:.04em;vertical-align:2px;color:#ffffff;background:#868e96"),
    ("sev-critical", "background:#c92a2a;color:#ffffff"),
    ("sev-high", "background:#e8590c;color:#ffffff"),
    ("sev-medium", "background:#f0b400;color:#1f1f1f"),
    ("sev-low", "background:#4c6ef5;color:#ffffff"),
    ("sev-info", "background:#adb5bd;color:#1f1f1f"),
    ("facts", "margin:4px 0 0;color:#343a40"),
    ("chip", "display:inline-block;margin:2px 4px 2px 0;padding:1px 7px;border:1px solid #ced4da;border-radius:10px;font-size:13px;background:#f8f9fa;color:#343a40"),
    ("table", "width:100%;border-collapse:collapse;margin:6px 0 4px;font-size:14px"),
    ("th", "text-align:left;padding:6px 8px;border-bottom:2px solid #dee2e6;font-size:13px;color:#5c6670;font-weight:600;white-space:nowrap"),
    ("td", "padding:6px 8px;border-bottom:1px solid #eef0f2;vertical-align:top;overflow-wrap:break-word"),
    ("td-nw", "padding:6px 8px;border-bottom:1px solid #eef0f2;vertical-align:top;white-space:nowrap"),
    ("num", "padding:6px 8px;border-bottom:1px solid #eef0f2;vertical-align:top;text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums"),
    ("code", "font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:13px;overflow-wrap:break-word"),
    ("finding", "margin:10px 0 0;padding:10px 0 0;border-top:1px dashed #dee2e6"),
    ("factors", "margin:4px 0 0 18px;padding:0;font-size:14px;color:#495057"),
    ("bar", "height:10px;background:#c92a2a;font-size:0;line-height:0"),
    ("bar-bg", "height:10px;background:#f1f3f5;font-size:0;line-height:0"),
    ("figure", "margin:12px 0 4px"),
    ("caption", "font-size:13px;color:#5c6670;margin-top:4px"),
    ("key", "display:inline-block;width:11px;height:11px;border-radius:2px;vertical-align:-1px;margin:0 4px 0 10px"),
    ("key-flagged", "background:#c92a2a"),
    ("key-other", "background:#9aa8bb"),
    ("key-attempt", "background:#868e96"),
    ("key-closed", "background:#eef0f4;border:1px solid #ced4da"),
    ("foot", "margin-top:36px;font-size:13px;color:#5c6670"),
];

/// The declarations of a registered style.
pub fn css(name: &str) -> Option<&'static str> {
    STYLES.iter().find(|(n, _)| *n == name).map(|(_, c)| *c)
}

/// Page-only rules that inline styles cannot express: the base font, responsive layout,
/// chart sizing, printing.
const PAGE_CSS: &str = "\
*{box-sizing:border-box}\
html{-webkit-text-size-adjust:100%}\
body{margin:0;background:#f4f5f7;color:#212529;font:15px/1.5 -apple-system,'Segoe UI',Roboto,'Helvetica Neue',Arial,sans-serif}\
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch}\
svg.chart{display:block;width:100%;height:auto;max-width:100%}\
.wide svg.chart{min-width:620px}\
details>summary{cursor:pointer;color:#1c5fb8;margin:8px 0 4px}\
.stat-n{white-space:nowrap}section>h3{margin-top:22px}\
.card .table,.card table{margin-bottom:6px}\
.legend{font-size:13px;color:#5c6670;margin-top:4px}\
.legend .key:first-child{margin-left:0}\
.narrow-chart{max-width:720px}.narrow-chart svg.chart{min-width:520px}\
@media (max-width:720px){.doc{padding:14px 10px 32px}.cards{grid-template-columns:repeat(3,minmax(0,1fr));gap:6px}.stat{padding:8px}.stat-n{font-size:17px}.top{font-size:22px}.card{padding:12px}.hide-narrow{display:none}}\
@media print{body{background:#fff;font-size:12px}.doc{max-width:none;padding:0}.card,.stat,figure{break-inside:avoid}.scroll{overflow:visible}.wide svg.chart{min-width:0}details>summary{color:#212529}}\
";

/// The report file's stylesheet: the registry as classes, then the page-only rules.
pub fn stylesheet() -> String {
    let mut s = String::new();
    for (name, decl) in STYLES {
        s.push('.');
        s.push_str(name);
        s.push('{');
        s.push_str(decl);
        s.push('}');
    }
    s.push_str(PAGE_CSS);
    s
}

/// The style name of a severity's badge and card accent: `sev-high`, `card-high`.
pub fn severity_styles(sev: crate::rules::Severity) -> (&'static str, &'static str) {
    use crate::rules::Severity::*;
    match sev {
        Critical => ("sev-critical", "card-critical"),
        High => ("sev-high", "card-high"),
        Medium => ("sev-medium", "card-medium"),
        Low => ("sev-low", "card-low"),
        Info => ("sev-info", "card-info"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_names_are_unique_and_css_is_plain() {
        let mut names: Vec<&str> = STYLES.iter().map(|(n, _)| *n).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), STYLES.len(), "duplicate style name");
        for (n, c) in STYLES {
            assert!(
                n.chars()
                    .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '-'),
                "{n}"
            );
            // Inline styles sit in a double-quoted attribute; braces would break the sheet.
            assert!(!c.contains(['"', '{', '}', '<', '>']), "{n}");
        }
    }

    #[test]
    fn looks_pick_class_or_inline_style() {
        assert_eq!(Look::Page.c("card"), Some("card"));
        assert_eq!(Look::Page.s("card"), None);
        assert_eq!(Look::Email.c("card"), None);
        assert_eq!(Look::Email.s("card"), css("card"));
        assert!(stylesheet().contains(".card{margin:0 0 18px"));
    }
}

//! Format detection: every candidate format scores the first bytes of a file (header names,
//! field counts, timestamp shapes), the best wins, a tie is an error that names the candidates;
//! and the per-file explanation `tollguard detect` prints.

use super::{
    read_head, Format, ImportOptions, Layout, Sample, FORMATS, LOW_CONFIDENCE, MIN_CONFIDENCE,
};
use crate::error::Result;
use crate::input::{self, Source};

/// One format's verdict on a file, for detection and `tollguard detect`.
#[derive(Clone)]
pub struct Candidate<'f> {
    /// The format.
    pub format: &'f dyn Format,
    /// Share of the sampled rows that fit, 0..=100.
    pub score: u8,
    /// The layout it would use.
    pub layout: Layout,
}

/// The formats to consider for a run: the user's mapping first (it wins ties: the user said
/// how these files look), then the registry.
pub fn candidates(opts: &ImportOptions) -> Vec<&dyn Format> {
    let mut v: Vec<&dyn Format> = Vec::new();
    if let Some(g) = &opts.generic {
        v.push(g);
    }
    v.extend(FORMATS.iter().copied());
    v
}

/// Scores every candidate on the first bytes of a file (each with its own delimiter), best
/// first; formats that do not fit at all are left out.
pub fn score_all<'f>(head: &[u8], formats: &[&'f dyn Format]) -> Vec<Candidate<'f>> {
    let comma = Sample::from_bytes(head, 50);
    let mut scored: Vec<Candidate<'f>> = formats
        .iter()
        .filter_map(|&format| {
            let other;
            let sample = if format.delimiter() == b',' {
                &comma
            } else {
                other = Sample::from_bytes_with(head, 50, format.delimiter());
                &other
            };
            format.sniff(sample).map(|(score, layout)| Candidate {
                format,
                score,
                layout,
            })
        })
        .collect();
    // Stable: among equal scores the earlier candidate (the user's mapping) stays first.
    scored.sort_by_key(|c| std::cmp::Reverse(c.score));
    scored
}

/// Picks the format from scored candidates: the best, or an error listing the candidates.
pub fn choose<'f>(scored: Vec<Candidate<'f>>) -> Result<Candidate<'f>, String> {
    let generic_first = scored.first().is_some_and(|c| c.format.name() == "generic");
    match scored.as_slice() {
        [] => Err(
            "no known CDR format fits (see `tollguard formats`; force one with --format, or describe the columns in [import.mapping])".into(),
        ),
        [c, ..] if c.score < MIN_CONFIDENCE => Err(format!(
            "no format fits well enough (best: {} at {}%); force one with --format",
            c.format.name(),
            c.score
        )),
        [a, b, ..] if a.score == b.score && !generic_first => {
            let tied: Vec<&str> = scored
                .iter()
                .filter(|c| c.score == a.score)
                .map(|c| c.format.name())
                .collect();
            Err(format!(
                "ambiguous: {} fit equally ({}%); choose one with --format {}",
                tied.join(" and "),
                a.score,
                b.format.name()
            ))
        }
        _ => Ok(scored.into_iter().next().expect("not empty")),
    }
}

/// Detects the format of a file from its first bytes among the registry's formats.
pub fn detect(head: &[u8]) -> Result<Candidate<'static>, String> {
    choose(score_all(head, FORMATS))
}

/// What detection made of one file, for `tollguard detect`.
#[derive(Debug, Clone)]
pub struct Detection {
    /// File label.
    pub file: String,
    /// Found by walking a directory (audit skips such a file when it fits no format).
    pub discovered: bool,
    /// The chosen format and its score, or why none was chosen.
    pub chosen: std::result::Result<(String, u8), String>,
    /// Every format that fits at all: name, score, header rows, field count of the header.
    pub scores: Vec<(String, u8, usize, usize)>,
}

/// Runs detection on every source without importing anything.
pub fn explain(sources: &[Source], opts: &ImportOptions) -> Result<Vec<Detection>> {
    let all = candidates(opts);
    let mut out = Vec::new();
    for source in sources {
        let mut reader = input::open(source)?;
        let (head, _) = read_head(&mut reader);
        let scored = score_all(&head, &all);
        let scores = scored
            .iter()
            .map(|c| {
                (
                    c.format.name().to_string(),
                    c.score,
                    c.layout.header_rows,
                    c.layout.width,
                )
            })
            .collect();
        let chosen = if head.iter().all(u8::is_ascii_whitespace) {
            Err("empty file".to_string())
        } else {
            choose(scored).map(|c| (c.format.name().to_string(), c.score))
        };
        out.push(Detection {
            file: source.label(),
            discovered: source.discovered,
            chosen,
            scores,
        });
    }
    Ok(out)
}

/// A one-line verdict on a detection score.
pub fn verdict(score: u8) -> &'static str {
    if score >= LOW_CONFIDENCE {
        "confident"
    } else {
        "low confidence: damaged rows or another format?"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::{Fields, RawRow};

    /// A format that fits every file with a fixed score.
    struct Fixed(&'static str, u8);

    impl Format for Fixed {
        fn name(&self) -> &'static str {
            self.0
        }
        fn description(&self) -> &'static str {
            "test"
        }
        fn sniff(&self, _sample: &Sample) -> Option<(u8, Layout)> {
            (self.1 > 0).then(|| (self.1, Layout::default()))
        }
        fn parse<'a>(&self, _f: &'a Fields<'a>, _l: &Layout) -> Result<RawRow<'a>, String> {
            Err("test".into())
        }
    }

    #[test]
    fn the_best_wins_a_tie_names_the_candidates_and_weak_fits_are_refused() {
        let (a, b, c, none) = (
            Fixed("a", 90),
            Fixed("b", 90),
            Fixed("c", 95),
            Fixed("d", 0),
        );
        let scored = score_all(b"x", &[&a, &b, &none]);
        assert_eq!(scored.len(), 2, "a format that does not fit is left out");
        let e = choose(scored).err().unwrap();
        assert!(e.contains("a and b") && e.contains("--format"), "{e}");
        let best = choose(score_all(b"x", &[&a, &b, &c])).ok().unwrap();
        assert_eq!(best.format.name(), "c");
        let weak = Fixed("w", MIN_CONFIDENCE - 1);
        assert!(choose(score_all(b"x", &[&weak]))
            .err()
            .unwrap()
            .contains("well enough"));
        assert!(choose(score_all(b"x", &[]))
            .err()
            .unwrap()
            .contains("no known"));
    }

    #[test]
    fn the_users_mapping_wins_a_tie() {
        let (generic, other) = (Fixed("generic", 100), Fixed("x", 100));
        let best = choose(score_all(b"x", &[&generic, &other])).ok().unwrap();
        assert_eq!(best.format.name(), "generic");
    }
}

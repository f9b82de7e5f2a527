//! A file's layout as its format sniffed it: header rows to skip, the columns of a header by
//! name, and the positions of the format's own column list, found once per file so that rows
//! read their columns by position.

use super::Fields;
use std::collections::HashMap;

/// What a format knows about a file after sniffing: header-mapped column positions, etc.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Layout {
    /// Number of leading header records to skip.
    pub header_rows: usize,
    /// Column index by name, for header-based formats.
    pub columns: HashMap<String, usize>,
    /// Field count the header promises.
    pub width: usize,
    /// The positions of the format's own column list ([`Layout::with_slots`]).
    pub(super) slots: Slots,
}

/// The positions of a list of column names, found once per file: a row then reads its columns
/// by position. Hashing each name again for every row cost a header-based format (FreePBX,
/// Grandstream, CUCM, ...) about as much as the rest of its row.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct Slots {
    /// The list (a `static`: told apart by its address).
    names: &'static [&'static str],
    /// Where each name is, `None` for a column the header lacks.
    at: Vec<Option<usize>>,
}

impl Layout {
    /// The layout with the positions of `names` found, for [`Layout::cols`] with the same list.
    pub fn with_slots(mut self, names: &'static [&'static str]) -> Layout {
        let at = names
            .iter()
            .map(|n| self.columns.get(*n).copied())
            .collect();
        self.slots = Slots { names, at };
        self
    }

    /// The fields of the columns `names` of row `f`, in the list's order (`""` for a column the
    /// header lacks). By position when the layout was made [`Layout::with_slots`] this list (a
    /// `static`); by name otherwise, which gives the same fields, slower.
    pub fn cols<'a, const N: usize>(
        &self,
        names: &'static [&'static str; N],
        f: &'a Fields<'a>,
    ) -> [&'a str; N] {
        let mut out = [""; N];
        if std::ptr::eq(self.slots.names.as_ptr(), names.as_ptr()) && self.slots.at.len() == N {
            for (o, at) in out.iter_mut().zip(&self.slots.at) {
                if let Some(i) = *at {
                    *o = f.get(i);
                }
            }
        } else {
            for (o, name) in out.iter_mut().zip(names) {
                if let Some(&i) = self.columns.get(*name) {
                    *o = f.get(i);
                }
            }
        }
        out
    }

    /// Whether the header has each of the columns `names` ([`Layout::cols`]'s list): a column
    /// it lacks is told apart from an empty field.
    pub fn present<const N: usize>(&self, names: &'static [&'static str; N]) -> [bool; N] {
        let mut out = [false; N];
        if std::ptr::eq(self.slots.names.as_ptr(), names.as_ptr()) && self.slots.at.len() == N {
            for (o, at) in out.iter_mut().zip(&self.slots.at) {
                *o = at.is_some();
            }
        } else {
            for (o, name) in out.iter_mut().zip(names) {
                *o = self.columns.contains_key(*name);
            }
        }
        out
    }

    /// Checks a row's field count against the header (layouts without a header width accept
    /// any count); `likely` names the format's usual cause of a wrong count.
    pub fn check_width(&self, found: usize, likely: &str) -> Result<(), String> {
        if self.width == 0 || found == self.width {
            return Ok(());
        }
        Err(format!(
            "expected {} fields as the header says, found {found}: {likely}, or a truncated line?",
            self.width
        ))
    }

    /// Positions of the named columns the header has (for `free_text_columns`).
    pub fn positions(&self, names: &[&str]) -> Vec<usize> {
        names
            .iter()
            .filter_map(|c| self.columns.get(*c).copied())
            .collect()
    }

    /// The layout a header row gives: each column by its name (trimmed, without a BOM, lower
    /// case; the first of two equal names wins), or `None` unless every `required` name is
    /// there. Header-based importers choose their columns by name through it, so re-ordered
    /// or extended exports still read.
    pub fn from_header(header: &[String], header_rows: usize, required: &[&str]) -> Option<Layout> {
        let mut columns = HashMap::new();
        for (i, h) in header.iter().enumerate() {
            let name = h.trim().trim_start_matches('\u{feff}').trim();
            columns.entry(name.to_ascii_lowercase()).or_insert(i);
        }
        required
            .iter()
            .all(|c| columns.contains_key(*c))
            .then_some(Layout {
                header_rows,
                width: header.len(),
                columns,
                slots: Slots::default(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static NAMES: [&str; 4] = ["b", "missing", "a", "c"];
    static SAME_NAMES: [&str; 4] = ["b", "missing", "a", "c"];

    /// By position and by name, a row's columns are the same: a column the header lacks reads
    /// as empty, of two equal names the first counts, a short row's missing fields are empty.
    #[test]
    fn columns_by_position_are_the_columns_by_name() {
        let header: Vec<String> = ["C", " a ", "\u{feff}b", "a"].map(String::from).to_vec();
        let by_name = Layout::from_header(&header, 1, &["a", "b"]).unwrap();
        let by_slot = by_name.clone().with_slots(&NAMES);
        for (row, want) in [
            (vec!["x0", "x1", "x2", "x3"], ["x2", "", "x1", "x0"]),
            (vec!["x0", "x1"], ["", "", "x1", "x0"]),
        ] {
            let rec = csv::ByteRecord::from(row);
            let f = Fields::new(&rec);
            assert_eq!(by_slot.cols(&NAMES, &f), want);
            assert_eq!(by_name.cols(&NAMES, &f), want);
            // Another list (even of the same names) is looked up by name.
            assert_eq!(by_slot.cols(&SAME_NAMES, &f), want);
        }
        for l in [&by_name, &by_slot] {
            assert_eq!(l.present(&NAMES), [true, false, true, true]);
            assert_eq!(l.present(&SAME_NAMES), [true, false, true, true]);
        }
    }
}

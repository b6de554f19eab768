//! Plain-text tables: a header row and columns aligned with spaces, no external crate.

use serde_json::Value;

/// Shown for a field the API sent as `null` or did not send, so columns never collapse.
pub const EMPTY: &str = "-";

/// Rows of cells under a header; rendered with every column as wide as its widest cell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

/// Width in characters (not bytes), so names with accents still line up.
fn width(s: &str) -> usize {
    s.chars().count()
}

/// One cell as it appears in a table: tabs and line breaks would break the layout.
fn clean(cell: String) -> String {
    if cell.contains(['\n', '\r', '\t']) {
        cell.replace(['\n', '\r', '\t'], " ")
    } else {
        cell
    }
}

impl Table {
    /// An empty table with these column titles.
    pub fn new(header: &[&str]) -> Self {
        Self {
            header: header.iter().map(|h| (*h).to_owned()).collect(),
            rows: Vec::new(),
        }
    }

    /// Add a row; missing cells render empty and extra cells are dropped, so one bad row
    /// cannot shift the others.
    pub fn push(&mut self, row: Vec<String>) {
        let mut row: Vec<String> = row.into_iter().map(clean).collect();
        row.resize(self.header.len(), String::new());
        self.rows.push(row);
    }

    /// The table as text: two spaces between columns, no trailing spaces, one line per
    /// row after the header, ending with a newline.
    pub fn render(&self) -> String {
        let mut widths: Vec<usize> = self.header.iter().map(|h| width(h)).collect();
        for row in &self.rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(width(cell));
            }
        }
        let mut out = String::new();
        for row in std::iter::once(&self.header).chain(&self.rows) {
            let mut line = String::new();
            for (i, (cell, w)) in row.iter().zip(&widths).enumerate() {
                if i > 0 {
                    line.push_str("  ");
                }
                line.push_str(cell);
                line.extend(std::iter::repeat_n(' ', w - width(cell)));
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }
}

/// A JSON field as a cell: strings as they are, numbers and booleans printed, `null` or
/// absent as [`EMPTY`].
pub fn cell(record: &Value, field: &str) -> String {
    match record.get(field) {
        None | Some(Value::Null) => EMPTY.to_owned(),
        Some(Value::String(s)) if s.is_empty() => EMPTY.to_owned(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn columns_align_to_the_widest_cell() {
        let mut t = Table::new(&["SID", "NUMBER", "NAME"]);
        t.push(vec![
            "PN1".into(),
            "+15550001111".into(),
            "front desk".into(),
        ]);
        t.push(vec!["PN22222".into(), "+1".into(), "é".into()]);
        assert_eq!(
            t.render(),
            "SID      NUMBER        NAME\n\
             PN1      +15550001111  front desk\n\
             PN22222  +1            é\n"
        );
    }

    #[test]
    fn empty_table_is_just_the_header() {
        assert_eq!(Table::new(&["A", "B"]).render(), "A  B\n");
    }

    #[test]
    fn short_rows_are_padded_and_control_characters_flattened() {
        let mut t = Table::new(&["A", "B", "C"]);
        t.push(vec!["x\ty".into()]);
        t.push(vec!["1".into(), "2".into(), "3".into(), "4".into()]);
        assert_eq!(t.render(), "A    B  C\nx y\n1    2  3\n");
    }

    #[test]
    fn cells_from_json() {
        let v = json!({"s": "a", "n": 3, "z": null, "e": ""});
        assert_eq!(cell(&v, "s"), "a");
        assert_eq!(cell(&v, "n"), "3");
        assert_eq!(cell(&v, "z"), EMPTY);
        assert_eq!(cell(&v, "e"), EMPTY);
        assert_eq!(cell(&v, "missing"), EMPTY);
    }
}

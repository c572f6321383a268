//! Spreadsheets (CSV) that are safe to open in Excel or WPS.
//!
//! Shop names, item ids, lot and batch codes come from lower-trust tenants, and regulators
//! open the files in a spreadsheet program. A cell that begins with `=`, `+`, `-`, `@`, a
//! tab or a carriage return would be read as a formula (CSV injection), so such a cell gets
//! a leading `'` (the OWASP rule), which the spreadsheet shows as text. The `csv` crate then
//! quotes what needs quoting. Files start with a UTF-8 BOM so that the Chinese shows.

use std::borrow::Cow;

/// The characters that make a spreadsheet treat a cell as a formula.
const FORMULA_START: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// A cell as written: text that would start a formula gets a leading `'`.
pub fn neutralise(cell: &str) -> Cow<'_, str> {
    if cell.starts_with(FORMULA_START) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// A whole CSV file: BOM, the header, then the rows, every cell neutralised.
pub fn write<'a, R, C>(header: &[&str], rows: R) -> Result<Vec<u8>, csv::Error>
where
    R: IntoIterator<Item = C>,
    C: IntoIterator<Item = &'a str>,
{
    let mut w = csv::Writer::from_writer(Vec::from("\u{feff}".as_bytes()));
    w.write_record(header.iter().map(|h| neutralise(h).into_owned()))?;
    for row in rows {
        w.write_record(row.into_iter().map(|c| neutralise(c).into_owned()))?;
    }
    w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_text() {
        for (cell, want) in [
            (
                "=HYPERLINK(\"http://x\",\"y\")",
                "'=HYPERLINK(\"http://x\",\"y\")",
            ),
            ("+1+1", "'+1+1"),
            ("-2+3", "'-2+3"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\t=1", "'\t=1"),
            ("\r=1", "'\r=1"),
            ("木森京东店", "木森京东店"),
            ("a=b", "a=b"),
            ("", ""),
        ] {
            assert_eq!(neutralise(cell), want, "{cell:?}");
        }
    }

    #[test]
    fn file_has_bom_header_and_quoted_cells() {
        let bytes = write(&["shop", "item"], [["=1,2", "ok"]]).unwrap();
        let text = String::from_utf8(bytes).unwrap();
        assert_eq!(text, "\u{feff}shop,item\n\"'=1,2\",ok\n");
    }
}

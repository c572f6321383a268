//! The bulk import of sales from CSV or NDJSON, every row checked before any is written.

use super::*;
use crate::app::command::{Command, Decision, Rejection};

impl App {
    /// Imports sales from a CSV file (header `listing,day,pieces,province,serials`; serials
    /// separated by `;` or spaces) or NDJSON (one `POST /api/v1/sales` body a line). Every
    /// row is checked first, as the API checks it, against the world and the rows before
    /// it: one bad row and nothing is written (the answer names the line). Rows equal to a
    /// sale recorded before are skipped, so a file imported twice records nothing twice
    /// (which is also how a retry after a lost answer is safe).
    pub fn import_sales(
        &self,
        caller: &Caller,
        body: &[u8],
        ndjson: bool,
    ) -> AppResult<SalesImport> {
        self.check_role(caller, &[Role::Platform], "import sales")?;
        // A retry of an import answered before is answered so before any chunk runs (the
        // key goes with the last chunk only; see below).
        self.check_replay(caller)?;
        let rows = parse_sales_file(body, ndjson)?;
        // Check every row against the world as it is now.
        let checked: Vec<(u64, SaleIn)> = rows
            .into_iter()
            .map(|(line, r)| {
                SaleIn::parse(&r)
                    .map(|s| (line, s))
                    .map_err(|e| at_line(line, e))
            })
            .collect::<AppResult<_>>()?;
        let rows = checked.len() as u64;
        // Which rows are new: rows equal to a recorded sale are counted, not sent on.
        let new = self.read_ctx_at(self.now(), |cx| {
            let (mut taken, mut keys) = (Taken::default(), Vec::new());
            checked
                .iter()
                .map(|(line, s)| {
                    cx.decide_sale(caller, s, &mut taken, &mut keys)
                        .map(|sale| sale.is_some())
                        .map_err(|e| at_line(*line, e))
                })
                .collect::<AppResult<Vec<bool>>>()
        })?;
        let checked: Vec<(u64, SaleIn)> = checked
            .into_iter()
            .zip(&new)
            .filter_map(|(row, &new)| new.then_some(row))
            .collect();
        let mut report = SalesImport {
            rows,
            recorded: 0,
            unchanged: rows - checked.len() as u64,
            events: 0,
        };
        // Then record the new ones in events of at most ~40 kB each (a log entry holds
        // 64 KiB).
        let mut start = 0;
        while start < checked.len() {
            let mut end = start;
            let mut size = 0;
            while end < checked.len() && size < 40_000 {
                size += 48 + 6 * checked[end].1.serials.len();
                end += 1;
            }
            // The `Idempotency-Key` goes with the last chunk, which answers the whole
            // import: a retry of a finished import is answered so; one of an import cut
            // short finds the chunks before recorded already (their rows unchanged). Only
            // new rows are chunked, so the last chunk records something and its key with
            // it (unless another writer recorded the same sales meanwhile); a file with no
            // new row records nothing, and its retry gets the same answer again.
            let last = end == checked.len();
            let chunk_caller = Caller {
                idempotency: if last {
                    caller.idempotency.clone()
                } else {
                    None
                },
                ..caller.clone()
            };
            let cmd = ImportChunk {
                rows: &checked[start..end],
                before: report.clone(),
            };
            report = self.execute(&chunk_caller, &cmd).map_err(|e| match e {
                AppError::Rule { field, detail } => AppError::Rule {
                    field,
                    detail: format!("{detail} ({} sales of this file were recorded before this row; importing the file again records the rest)", report.recorded),
                },
                e => e,
            })?;
            start = end;
        }
        Ok(report)
    }
}

/// Record one chunk of an import's sales (those not recorded before), in one event.
struct ImportChunk<'a> {
    rows: &'a [(u64, SaleIn)],
    /// The report of the chunks before.
    before: SalesImport,
}

impl Command for ImportChunk<'_> {
    /// The import's report up to and including this chunk.
    type Answer = SalesImport;

    fn decide(&self, cx: &Ctx<'_>, caller: &Caller) -> Result<Decision<SalesImport>, Rejection> {
        cx.policy()
            .check_role(caller, &[Role::Platform], "import sales")?;
        let (mut taken, mut keys) = (Taken::default(), Vec::new());
        let mut records = Vec::with_capacity(self.rows.len());
        let mut unchanged = 0u64;
        for (line, s) in self.rows {
            match cx
                .decide_sale(caller, s, &mut taken, &mut keys)
                .map_err(|e| at_line(*line, e))?
            {
                Some(mut sale) => {
                    sale.created_at = cx.now;
                    records.push((cx.id + records.len() as NodeId, Record::Sale(sale)));
                }
                None => unchanged += 1,
            }
        }
        let n = records.len() as u64;
        let answer = SalesImport {
            recorded: self.before.recorded + n,
            unchanged: self.before.unchanged + unchanged,
            events: self.before.events + u64::from(n > 0),
            ..self.before.clone()
        };
        Ok(Decision {
            event: (n > 0).then_some(EventBody::CreatedMany { records }),
            acting_for: caller.party,
            answer,
        })
    }
}

/// An error of one row, named by its line.
fn at_line(line: u64, e: AppError) -> AppError {
    let field = |f: Option<String>| {
        Some(format!(
            "line {line}{}",
            f.map(|f| format!(": {f}")).unwrap_or_default()
        ))
    };
    match e {
        AppError::BadRequest { field: f, detail } => AppError::Rule {
            field: field(f),
            detail: format!("line {line}: {detail}"),
        },
        AppError::Rule { field: f, detail } => AppError::Rule {
            field: field(f),
            detail: format!("line {line}: {detail}"),
        },
        AppError::NotFound { field: f, detail } => AppError::NotFound {
            field: field(f),
            detail: format!("line {line}: {detail}"),
        },
        AppError::Conflict { field: f, detail } => AppError::Conflict {
            field: field(f),
            detail: format!("line {line}: {detail}"),
        },
        e => e,
    }
}

/// The rows of a sales file, with their line numbers.
fn parse_sales_file(body: &[u8], ndjson: bool) -> AppResult<Vec<(u64, NewSale)>> {
    let text = std::str::from_utf8(body)
        .map_err(|e| AppError::bad("body", format!("the file is not UTF-8: {e}")))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut rows = Vec::new();
    if ndjson {
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let r: NewSale = serde_json::from_str(line).map_err(|e| {
                AppError::bad(format!("line {}", i + 1), format!("line {}: {e}", i + 1))
            })?;
            rows.push((i as u64 + 1, r));
            if rows.len() > MAX_IMPORT_ROWS {
                break;
            }
        }
    } else {
        let mut rd = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(true)
            .trim(csv::Trim::All)
            .from_reader(text.as_bytes());
        let headers = rd
            .headers()
            .map_err(|e| AppError::bad("body", format!("cannot read the CSV header: {e}")))?
            .clone();
        let col = |name: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(name));
        let (Some(li), Some(di), Some(pi)) = (col("listing"), col("day"), col("pieces")) else {
            return Err(AppError::bad(
                "body",
                "the CSV header must name the columns listing, day and pieces (and optionally province and serials)",
            ));
        };
        let (vi, si) = (col("province"), col("serials"));
        let known = ["listing", "day", "pieces", "province", "serials"];
        if let Some(h) = headers
            .iter()
            .find(|h| !known.iter().any(|k| h.eq_ignore_ascii_case(k)))
        {
            return Err(AppError::bad(
                "body",
                format!("unknown CSV column '{}'; the columns are listing, day, pieces, province, serials", trunc(h)),
            ));
        }
        for rec in rd.records() {
            let rec =
                rec.map_err(|e| AppError::bad("body", format!("cannot read the CSV: {e}")))?;
            let line = rec.position().map_or(0, |p| p.line());
            if rec.iter().all(|c| c.is_empty()) {
                continue;
            }
            let get = |i: Option<usize>| i.and_then(|i| rec.get(i)).unwrap_or("").to_string();
            let pieces = get(Some(pi)).parse::<u32>().map_err(|_| {
                AppError::bad(
                    format!("line {line}: pieces"),
                    format!(
                        "line {line}: pieces must be a whole number (got '{}')",
                        trunc(&get(Some(pi)))
                    ),
                )
            })?;
            let serials: Vec<String> = get(si)
                .split([';', ' '])
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect();
            let province = get(vi);
            rows.push((
                line,
                NewSale {
                    listing: get(Some(li)),
                    day: get(Some(di)),
                    pieces,
                    province: (!province.is_empty()).then_some(province),
                    serials: (!serials.is_empty()).then_some(serials),
                },
            ));
            if rows.len() > MAX_IMPORT_ROWS {
                break;
            }
        }
    }
    if rows.len() > MAX_IMPORT_ROWS {
        return Err(AppError::rule(
            "body",
            format!("at most {MAX_IMPORT_ROWS} rows per import; split the file"),
        ));
    }
    if rows.is_empty() {
        return Err(AppError::rule("body", "the file has no sales"));
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_files_name_their_columns_and_lines() {
        let f = b"listing,day,pieces,province\nlst_x,2026-11-01,3,32\n\nlst_y,2026-11-02,4,\n";
        let rows = parse_sales_file(f, false).unwrap_or_default();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].0, 2);
        assert_eq!(rows[0].1.province.as_deref(), Some("32"));
        assert_eq!(rows[1].1.province, None);
        assert!(parse_sales_file(b"listing,when,pieces\n", false).is_err());
        let bad = parse_sales_file(b"listing,day,pieces\nlst_x,2026-11-01,three\n", false);
        assert!(bad.is_err_and(|e| e.to_string().contains("line 2")));
        let nd = parse_sales_file(
            b"{\"listing\":\"a\",\"day\":\"2026-11-01\",\"pieces\":2}\n",
            true,
        )
        .unwrap_or_default();
        assert_eq!(nd.len(), 1);
        assert!(parse_sales_file(b"{\"listing\":1}\n", true).is_err());
    }
}

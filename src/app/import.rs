//! Bulk import: newline-delimited commands, each validated exactly like the API call it
//! stands for and recorded as one event in the hash-chained log. The store stages the
//! events and writes them in large atomic chunks, with one flush at the end.
//!
//! Format, one JSON object a line: `{"op": "party" | "lot" | "shipment" | "batch" |
//! "listing" | "link_batches", "body": {...the API request body...}}`; `link_batches`
//! takes `{"listing": id, "batches": [ids]}`. Blank lines are skipped.
//!
//! Ids are opaque, so a file cannot know the ids of the records it creates: a string
//! `"@N"` anywhere in a body stands for the id created by line N of the same file (the
//! party of line 1 is `"@1"`, the batch of line 7 is `"@7"`).

use super::dto::*;
use super::{App, Caller};
use crate::error::AppError;
use serde::Deserialize;
use std::io::BufRead;

#[derive(Debug, Clone, Deserialize)]
#[serde(
    tag = "op",
    content = "body",
    rename_all = "snake_case",
    deny_unknown_fields
)]
pub enum Command {
    Party(NewParty),
    Lot(NewLot),
    Shipment(NewShipment),
    Batch(NewBatch),
    Listing(NewListing),
    LinkBatches {
        listing: String,
        batches: Vec<String>,
    },
}

#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct ImportReport {
    pub lines: u64,
    pub events: u64,
}

/// Why an import stopped. Lines before `line` were recorded (and are durable).
#[derive(Debug, thiserror::Error)]
#[error("line {line}: {error}")]
pub struct ImportFailure {
    pub line: u64,
    pub error: AppError,
    pub recorded: u64,
}

impl App {
    /// Applies one command; returns the id of what it created (or linked).
    pub fn apply(&self, caller: &Caller, cmd: Command) -> Result<String, AppError> {
        Ok(match cmd {
            Command::Party(b) => self.create_party(caller, b)?.id,
            Command::Lot(b) => self.create_lot(caller, b)?.id,
            Command::Shipment(b) => self.create_shipment(caller, b)?.id,
            Command::Batch(b) => self.create_batch(caller, b)?.id,
            Command::Listing(b) => self.create_listing(caller, b)?.id,
            Command::LinkBatches { listing, batches } => {
                self.link_batches(caller, &listing, LinkBatches { batches })?
                    .0
                    .id
            }
        })
    }

    /// Imports newline-delimited commands. Stops at the first invalid line; everything
    /// before it is recorded and flushed. `progress` is called with (lines, bytes) read.
    pub fn import(
        &self,
        caller: &Caller,
        input: impl BufRead,
        mut progress: impl FnMut(u64, u64),
    ) -> Result<ImportReport, ImportFailure> {
        let store = self.store.clone();
        let before = store.stats().events;
        let fail = |line: u64, error: AppError| {
            let recorded = store.stats().events - before;
            ImportFailure {
                line,
                error,
                recorded,
            }
        };
        store.begin_bulk().map_err(|e| fail(0, e.into()))?;
        let mut report = ImportReport::default();
        let mut bytes = 0u64;
        // What each line created, for `"@N"` references (compact: kind and dense id).
        let mut created: Vec<Option<(crate::core::domain::NodeKind, crate::core::domain::NodeId)>> =
            Vec::new();
        let mut result = Ok(());
        for (n, line) in input.lines().enumerate() {
            let n = n as u64 + 1;
            let line = match line {
                Ok(l) => l,
                Err(e) => {
                    result = Err((n, AppError::bad("input", format!("cannot read: {e}"))));
                    break;
                }
            };
            bytes += line.len() as u64 + 1;
            report.lines = n;
            if line.trim().is_empty() {
                continue;
            }
            let parsed = if line.contains("\"@") {
                serde_json::from_str::<serde_json::Value>(&line)
                    .map_err(|e| AppError::bad("input", format!("invalid command: {e}")))
                    .and_then(|mut v| {
                        self.resolve_line_refs(&mut v, n, &created)?;
                        serde_json::from_value::<Command>(v)
                            .map_err(|e| AppError::bad("input", format!("invalid command: {e}")))
                    })
            } else {
                serde_json::from_str::<Command>(&line)
                    .map_err(|e| AppError::bad("input", format!("invalid command: {e}")))
            };
            let cmd = match parsed {
                Ok(c) => c,
                Err(e) => {
                    result = Err((n, e));
                    break;
                }
            };
            match self.apply(caller, cmd) {
                Ok(id) => {
                    let at = n as usize;
                    if created.len() <= at {
                        created.resize(at + 1, None);
                    }
                    created[at] = self.ids.parse(&id);
                }
                Err(e) => {
                    result = Err((n, e));
                    break;
                }
            }
            if n.is_multiple_of(10_000) {
                progress(n, bytes);
            }
        }
        progress(report.lines, bytes);
        // Whatever was accepted is written and flushed, also when a line failed.
        let ended = store.end_bulk();
        result.map_err(|(n, e)| fail(n, e))?;
        ended.map_err(|e| fail(report.lines, e.into()))?;
        report.events = store.stats().events - before;
        Ok(report)
    }
}

impl App {
    /// Replaces every `"@N"` string in a command with the id line N created.
    fn resolve_line_refs(
        &self,
        v: &mut serde_json::Value,
        line: u64,
        created: &[Option<(crate::core::domain::NodeKind, crate::core::domain::NodeId)>],
    ) -> Result<(), AppError> {
        match v {
            serde_json::Value::String(s) => {
                if let Some(num) = s.strip_prefix('@') {
                    let r: u64 = num.parse().map_err(|_| {
                        AppError::bad("input", format!("'{s}' is not a line reference (@N)"))
                    })?;
                    let target = (r < line)
                        .then(|| created.get(r as usize).copied().flatten())
                        .flatten()
                        .ok_or_else(|| {
                            AppError::bad(
                                "input",
                                format!("@{r}: no earlier line {r} created a record"),
                            )
                        })?;
                    *s = self.ids.format(target.0, target.1);
                }
            }
            serde_json::Value::Array(a) => {
                for x in a {
                    self.resolve_line_refs(x, line, created)?;
                }
            }
            serde_json::Value::Object(o) => {
                for (_, x) in o.iter_mut() {
                    self.resolve_line_refs(x, line, created)?;
                }
            }
            _ => {}
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_parse_and_refuse_unknown_ops() {
        let c: Command = serde_json::from_str(
            r#"{"op":"link_batches","body":{"listing":"lst_1","batches":["bat_2"]}}"#,
        )
        .unwrap();
        assert!(matches!(c, Command::LinkBatches { .. }));
        assert!(serde_json::from_str::<Command>(r#"{"op":"drop_table","body":{}}"#).is_err());
        assert!(serde_json::from_str::<Command>(
            r#"{"op":"party","body":{"name":"a","role":"lab","uscc":"x","city":"c","extra":1}}"#
        )
        .is_err());
    }
}

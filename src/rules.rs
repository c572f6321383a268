//! Limits that inspections are judged against, as one data table with the standard each
//! comes from (see `../shared/reference/standards.md`). A new standard is a new row.

use crate::core::domain::{FormaldehydeClass, Verdict};

/// What was sampled, as far as the limits care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    /// A wood-based panel lot with its declared emission class.
    Panel(FormaldehydeClass),
    /// Finished furniture (a batch, a unit, or the product behind a listing).
    Furniture,
}

/// Which subjects a row applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applies {
    PanelDeclared(FormaldehydeClass),
    Furniture,
    Any,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LimitRow {
    pub item: &'static str,
    pub unit: &'static str,
    pub method: &'static str,
    pub applies: Applies,
    /// Largest passing value.
    pub max: f64,
    pub source: &'static str,
}

/// The limits. For a panel lot, the chamber result is judged against the grade the
/// supplier declared (an E0 lot at 0.08 fails E0 although it is within E1); an undeclared
/// panel against the mandatory GB 18580 limit.
pub const LIMITS: &[LimitRow] = &[
    LimitRow {
        item: "formaldehyde_emission",
        unit: "mg/m3",
        method: "1 m³ climate chamber",
        applies: Applies::PanelDeclared(FormaldehydeClass::Enf),
        max: 0.025,
        source: "GB/T 39600-2021 ENF",
    },
    LimitRow {
        item: "formaldehyde_emission",
        unit: "mg/m3",
        method: "1 m³ climate chamber",
        applies: Applies::PanelDeclared(FormaldehydeClass::E0),
        max: 0.050,
        source: "GB/T 39600-2021 E0",
    },
    LimitRow {
        item: "formaldehyde_emission",
        unit: "mg/m3",
        method: "1 m³ climate chamber",
        applies: Applies::PanelDeclared(FormaldehydeClass::E1),
        max: 0.124,
        source: "GB/T 39600-2021 E1",
    },
    LimitRow {
        item: "formaldehyde_emission",
        unit: "mg/m3",
        method: "1 m³ climate chamber",
        applies: Applies::PanelDeclared(FormaldehydeClass::NotDeclared),
        max: 0.124,
        source: "GB 18580-2017",
    },
    LimitRow {
        item: "formaldehyde_emission",
        unit: "mg/m3",
        method: "1 m³ climate chamber",
        applies: Applies::Furniture,
        max: 0.124,
        source: "GB 18580-2017",
    },
    LimitRow {
        item: "formaldehyde_emission",
        unit: "mg/L",
        method: "desiccator",
        applies: Applies::Any,
        max: 1.5,
        source: "GB 18584-2001",
    },
];

/// Normalises a unit as labs write it (`mg/m³`, `MG/M3`, `mg/l`).
pub fn normalize_unit(unit: &str) -> String {
    let u = unit.trim().replace('³', "3");
    match u.to_ascii_lowercase().as_str() {
        "mg/m3" => "mg/m3".into(),
        "mg/l" => "mg/L".into(),
        _ => u,
    }
}

/// Normalises an item name (`Formaldehyde Emission` → `formaldehyde_emission`).
pub fn normalize_item(item: &str) -> String {
    item.trim()
        .to_lowercase()
        .split(|c: char| c.is_whitespace() || c == '-')
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("_")
}

/// Whether any row judges this item.
pub fn has_rule(item: &str) -> bool {
    LIMITS.iter().any(|r| r.item == item)
}

/// Judges a value: `Ok(None)` when no row covers the item (the lab's verdict stands),
/// `Err` when the item has rules but none for this unit.
pub fn judge(
    item: &str,
    unit: &str,
    subject: Subject,
    value: f64,
) -> Result<Option<(Verdict, &'static LimitRow)>, String> {
    if !has_rule(item) {
        return Ok(None);
    }
    let row = LIMITS.iter().find(|r| {
        r.item == item
            && r.unit == unit
            && match (r.applies, subject) {
                (Applies::Any, _) => true,
                (Applies::Furniture, Subject::Furniture) => true,
                (Applies::PanelDeclared(c), Subject::Panel(d)) => c == d,
                _ => false,
            }
    });
    match row {
        Some(r) => Ok(Some((
            if value <= r.max {
                Verdict::Pass
            } else {
                Verdict::Fail
            },
            r,
        ))),
        None => {
            let units: Vec<&str> = LIMITS
                .iter()
                .filter(|r| r.item == item)
                .map(|r| r.unit)
                .collect();
            Err(format!(
                "{item} is judged in {} (got '{unit}')",
                dedup(units).join(" or ")
            ))
        }
    }
}

fn dedup(mut v: Vec<&'static str>) -> Vec<&'static str> {
    v.dedup();
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use FormaldehydeClass::*;

    fn v(item: &str, unit: &str, s: Subject, x: f64) -> Verdict {
        judge(item, unit, s, x).unwrap().unwrap().0
    }

    #[test]
    fn declared_grade_decides() {
        assert_eq!(
            v("formaldehyde_emission", "mg/m3", Subject::Panel(E0), 0.04),
            Verdict::Pass
        );
        assert_eq!(
            v("formaldehyde_emission", "mg/m3", Subject::Panel(E0), 0.08),
            Verdict::Fail
        );
        assert_eq!(
            v("formaldehyde_emission", "mg/m3", Subject::Panel(E1), 0.08),
            Verdict::Pass
        );
        assert_eq!(
            v("formaldehyde_emission", "mg/m3", Subject::Panel(E1), 0.13),
            Verdict::Fail
        );
        assert_eq!(
            v("formaldehyde_emission", "mg/m3", Subject::Panel(Enf), 0.03),
            Verdict::Fail
        );
        assert_eq!(
            v(
                "formaldehyde_emission",
                "mg/m3",
                Subject::Panel(NotDeclared),
                0.124
            ),
            Verdict::Pass
        );
        let (_, row) = judge(
            "formaldehyde_emission",
            "mg/m3",
            Subject::Panel(NotDeclared),
            0.2,
        )
        .unwrap()
        .unwrap();
        assert_eq!(row.source, "GB 18580-2017");
    }

    #[test]
    fn furniture_by_desiccator() {
        let (verdict, row) = judge("formaldehyde_emission", "mg/L", Subject::Furniture, 2.2)
            .unwrap()
            .unwrap();
        assert_eq!(
            (verdict, row.max, row.source),
            (Verdict::Fail, 1.5, "GB 18584-2001")
        );
        assert_eq!(
            v("formaldehyde_emission", "mg/L", Subject::Furniture, 1.5),
            Verdict::Pass
        );
    }

    #[test]
    fn unknown_units_and_items() {
        assert!(
            judge("formaldehyde_emission", "ppm", Subject::Furniture, 1.0)
                .unwrap_err()
                .contains("mg/m3")
        );
        assert_eq!(
            judge("loading_stability", "", Subject::Furniture, 1.0).unwrap(),
            None
        );
        assert_eq!(normalize_unit("mg/m³"), "mg/m3");
        assert_eq!(normalize_unit("MG/L"), "mg/L");
        assert_eq!(
            normalize_item(" Formaldehyde Emission "),
            "formaldehyde_emission"
        );
    }
}

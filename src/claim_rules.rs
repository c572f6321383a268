//! The claims table: what a listing's claims (its title and its structured claims) require of
//! the boards behind it, in one place like the limits table (`rules`). A claimed
//! formaldehyde class requires every board lot upstream to be declared that class or
//! stricter; a claimed material requires every board lot to be of the materials it names.
//! Trademarks are checked against the registrations boardtrail holds (see
//! `app::sellers::claims`).

use crate::core::domain::{FormaldehydeClass, Material};

/// A formaldehyde claim: the words that make it, the class it requires, and the standard.
pub struct ClassClaim {
    pub words: &'static [&'static str],
    pub requires: FormaldehydeClass,
    pub source: &'static str,
}

/// Formaldehyde claims, strictest first (a title saying "无醛 E0" claims the strictest).
pub const CLASS_CLAIMS: [ClassClaim; 3] = [
    ClassClaim {
        words: &["无醛", "零甲醛", "0甲醛", "ENF"],
        requires: FormaldehydeClass::Enf,
        source: "GB/T 39600-2021 ENF (≤ 0.025 mg/m³)",
    },
    ClassClaim {
        words: &["E0"],
        requires: FormaldehydeClass::E0,
        source: "GB/T 39600-2021 E0 (≤ 0.050 mg/m³)",
    },
    ClassClaim {
        words: &["E1"],
        requires: FormaldehydeClass::E1,
        source: "GB/T 39600-2021 E1 (≤ 0.124 mg/m³)",
    },
];

/// A material claim: the words that make it and the board materials it allows.
pub struct MaterialClaim {
    pub words: &'static [&'static str],
    /// What is claimed, as shown.
    pub name: &'static str,
    pub allows: &'static [Material],
}

/// Material claims, most specific first ("多层实木" before "实木", "实木颗粒板" is a
/// particleboard).
pub const MATERIAL_CLAIMS: [MaterialClaim; 4] = [
    MaterialClaim {
        words: &["多层实木", "多层板"],
        name: "多层实木 multilayer solid wood",
        allows: &[Material::Plywood, Material::SolidWood, Material::Veneer],
    },
    MaterialClaim {
        words: &["实木颗粒", "颗粒板", "刨花板"],
        name: "颗粒板 particleboard",
        allows: &[Material::Particleboard],
    },
    MaterialClaim {
        words: &["密度板", "MDF"],
        name: "密度板 MDF",
        allows: &[Material::Mdf],
    },
    MaterialClaim {
        words: &["纯实木", "实木", "SOLID WOOD"],
        name: "实木 solid wood",
        allows: &[Material::SolidWood],
    },
];

/// Board materials: the lots whose class and material a claim is about (edge banding and
/// adhesives are not boards).
pub fn is_board(m: Material) -> bool {
    matches!(
        m,
        Material::Plywood
            | Material::Particleboard
            | Material::Mdf
            | Material::Osb
            | Material::SolidWood
            | Material::Veneer
    )
}

/// Rank of a declared class (lower is stricter); `none` is the worst.
pub fn class_rank(c: FormaldehydeClass) -> u8 {
    match c {
        FormaldehydeClass::Enf => 0,
        FormaldehydeClass::E0 => 1,
        FormaldehydeClass::E1 => 2,
        FormaldehydeClass::NotDeclared => 3,
    }
}

/// The formaldehyde claim a text makes (the strictest it names), if any.
pub fn class_claim(text: &str) -> Option<&'static ClassClaim> {
    let t = text.to_uppercase();
    CLASS_CLAIMS
        .iter()
        .find(|c| c.words.iter().any(|w| t.contains(w)))
}

/// The material claim a text makes, if any.
pub fn material_claim(text: &str) -> Option<&'static MaterialClaim> {
    let t = text.to_uppercase();
    MATERIAL_CLAIMS
        .iter()
        .find(|c| c.words.iter().any(|w| t.contains(w)))
}

/// Does a lot declared `declared` meet a claim requiring `required`?
pub fn class_meets(declared: FormaldehydeClass, required: FormaldehydeClass) -> bool {
    class_rank(declared) <= class_rank(required)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_read_as_the_table_says() {
        assert_eq!(
            class_claim("北欧衣柜 无醛 ENF").map(|c| c.requires),
            Some(FormaldehydeClass::Enf)
        );
        assert_eq!(
            class_claim("零甲醛").map(|c| c.requires),
            Some(FormaldehydeClass::Enf)
        );
        assert_eq!(
            class_claim("e0级板材").map(|c| c.requires),
            Some(FormaldehydeClass::E0)
        );
        assert_eq!(
            class_claim("E1").map(|c| c.requires),
            Some(FormaldehydeClass::E1)
        );
        assert!(class_claim("环保衣柜").is_none());
        assert_eq!(
            material_claim("实木衣柜").map(|c| c.allows),
            Some(&[Material::SolidWood][..])
        );
        assert!(material_claim("多层实木").is_some_and(|c| c.allows.contains(&Material::Plywood)));
        assert!(material_claim("实木颗粒板").is_some_and(|c| c.allows == [Material::Particleboard]));
        assert!(material_claim("布艺沙发").is_none());
    }

    #[test]
    fn a_class_meets_claims_up_to_itself() {
        assert!(class_meets(FormaldehydeClass::Enf, FormaldehydeClass::E1));
        assert!(class_meets(FormaldehydeClass::E1, FormaldehydeClass::E1));
        assert!(!class_meets(FormaldehydeClass::E1, FormaldehydeClass::Enf));
        assert!(!class_meets(
            FormaldehydeClass::NotDeclared,
            FormaldehydeClass::E1
        ));
        assert!(is_board(Material::Particleboard) && !is_board(Material::Adhesive));
    }
}

//! Quantities: fixed-point thousandths (`Milli`) so that mass balance is exact, with the
//! unit they are counted in. A value that is not an exact number of thousandths, negative,
//! not finite or too large cannot be built.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QtyUnit {
    Sheet,
    M3,
    Kg,
    Piece,
    Set,
}

impl QtyUnit {
    pub fn as_str(self) -> &'static str {
        match self {
            QtyUnit::Sheet => "sheet",
            QtyUnit::M3 => "m3",
            QtyUnit::Kg => "kg",
            QtyUnit::Piece => "piece",
            QtyUnit::Set => "set",
        }
    }
}

/// A non-negative amount in thousandths of a unit: exact arithmetic for mass balance.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
pub struct Milli(pub u64);

/// Largest accepted amount (one thousand billion units): keeps sums far from overflow.
pub const MAX_AMOUNT: f64 = 1e12;

impl Milli {
    /// Converts a decimal amount, refusing what cannot be represented exactly enough:
    /// non-finite, non-positive, larger than [`MAX_AMOUNT`] or finer than 0.001.
    pub fn from_decimal(v: f64) -> Result<Milli, String> {
        if !v.is_finite() {
            return Err("must be a finite number".into());
        }
        if v <= 0.0 {
            return Err(format!("must be greater than 0 (got {v})"));
        }
        if v > MAX_AMOUNT {
            return Err(format!("must be at most {MAX_AMOUNT:e} (got {v})"));
        }
        let rounded = (v * 1000.0).round();
        // Exact or refused, never rounded: the amount must be the very number a decimal with
        // at most 3 places stands for (JSON numbers are parsed correctly rounded, see the
        // `float_roundtrip` feature of serde_json), i.e. dividing back gives `v` bit for bit.
        if rounded / 1000.0 != v {
            return Err(format!("has more than 3 decimal places (got {v})"));
        }
        if rounded < 1.0 {
            return Err(format!("must be at least 0.001 (got {v})"));
        }
        Ok(Milli(rounded as u64))
    }

    pub fn to_decimal(self) -> f64 {
        self.0 as f64 / 1000.0
    }

    /// `n` whole units, or None if that many thousandths do not fit.
    pub fn from_whole(n: u64) -> Option<Milli> {
        n.checked_mul(1000).map(Milli)
    }
}

impl fmt::Display for Milli {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let whole = self.0 / 1000;
        let frac = self.0 % 1000;
        if frac == 0 {
            write!(f, "{whole}")
        } else {
            let s = format!("{frac:03}");
            write!(f, "{whole}.{}", s.trim_end_matches('0'))
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quantity {
    pub amount: Milli,
    pub unit: QtyUnit,
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount, self.unit.as_str())
    }
}

/// How much of a lot a party has: made (as producer), received by shipment, consumed as an
/// input, and shipped on to others.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Holding {
    pub produced: Milli,
    pub received: Milli,
    pub consumed: Milli,
    pub shipped: Milli,
}

impl Holding {
    /// What came in: made plus received. A [`World`](crate::core::World) refuses every
    /// event after which this, or what went out, would not fit in a `u64`
    /// (`WorldError::Overflow`), so for its holdings the sum is exact; for any other it
    /// stops at `u64::MAX` instead of wrapping.
    pub fn incoming(&self) -> Milli {
        Milli(self.produced.0.saturating_add(self.received.0))
    }

    /// What went out: consumed plus shipped on (exact for a world's holdings, as above).
    pub fn outgoing(&self) -> Milli {
        Milli(self.consumed.0.saturating_add(self.shipped.0))
    }

    /// What is left to ship or consume: what came in minus what went out, never below 0.
    pub fn available(&self) -> Milli {
        Milli(self.incoming().0.saturating_sub(self.outgoing().0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_holding_adds_up_without_wrapping() {
        let h = Holding {
            produced: Milli(5_000),
            received: Milli(2_500),
            consumed: Milli(1_000),
            shipped: Milli(500),
        };
        assert_eq!(
            (h.incoming(), h.outgoing(), h.available()),
            (Milli(7_500), Milli(1_500), Milli(6_000))
        );
        let over = Holding {
            produced: Milli(u64::MAX),
            received: Milli(1),
            consumed: Milli(u64::MAX),
            shipped: Milli(u64::MAX),
        };
        assert_eq!(over.incoming(), Milli(u64::MAX));
        assert_eq!(over.available(), Milli(0));
        let spent = Holding {
            consumed: Milli(3),
            ..Holding::default()
        };
        assert_eq!(spent.available(), Milli(0));
    }

    #[test]
    fn milli_is_exact() {
        assert_eq!(Milli::from_decimal(1.5).unwrap(), Milli(1500));
        assert_eq!(Milli::from_decimal(0.001).unwrap(), Milli(1));
        assert!(Milli::from_decimal(0.0001).is_err());
        assert!(Milli::from_decimal(-1.0).is_err());
        assert!(Milli::from_decimal(f64::NAN).is_err());
        assert!(Milli::from_decimal(1.2345).is_err());
        assert_eq!(Milli(1500).to_string(), "1.5");
        assert_eq!(Milli(2000).to_string(), "2");
        assert_eq!(Milli(2050).to_string(), "2.05");
        assert_eq!(Milli::from_whole(7), Some(Milli(7000)));
        assert_eq!(Milli::from_whole(u64::MAX / 999), None);
    }
}

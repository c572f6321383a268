//! What the web app asks about the signed-in caller: who it is, and the lots it holds.

use super::*;
use serde::Serialize;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Me {
    pub party: Option<PartyView>,
    pub role: &'static str,
    pub key_id: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct StockLine {
    pub lot: String,
    pub lot_code: String,
    pub material: &'static str,
    pub formaldehyde_class: &'static str,
    pub unit: &'static str,
    pub produced: f64,
    pub received: f64,
    pub consumed: f64,
    pub shipped: f64,
    pub available: f64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Stock {
    pub party: String,
    pub lots: Vec<StockLine>,
}

impl App {
    pub fn me(&self, caller: &Caller) -> AppResult<Me> {
        let party = match caller.party {
            Some(p) => Some(PartyView::new(&self.ids, p, &self.party(p)?)),
            None => None,
        };
        let role = if caller.operator {
            "operator"
        } else {
            caller.role.map(Role::as_str).unwrap_or("unknown")
        };
        Ok(Me {
            party,
            role,
            key_id: caller.key_id.clone(),
        })
    }

    /// The lots a party holds, with what is left of each.
    pub fn stock(&self, caller: &Caller, party_id: &str) -> AppResult<Stock> {
        let party = self.visible(caller, party_id, NodeKind::Party)?;
        self.check_own_read(
            caller,
            party,
            "only the party itself and regulators read its stock",
        )?;
        let mut lots = Vec::new();
        for (lot, h) in self.store.holdings_of(party) {
            let Ok(Some(Record::Lot(l))) = self.store.record(lot) else {
                continue;
            };
            lots.push(StockLine {
                lot: self.ids.format(NodeKind::Lot, lot),
                lot_code: l.lot_code,
                material: l.material.as_str(),
                formaldehyde_class: l.formaldehyde_class.as_str(),
                unit: l.quantity.unit.as_str(),
                produced: h.produced.to_decimal(),
                received: h.received.to_decimal(),
                consumed: h.consumed.to_decimal(),
                shipped: h.shipped.to_decimal(),
                available: h.available().to_decimal(),
            });
        }
        Ok(Stock {
            party: self.ids.format(NodeKind::Party, party),
            lots,
        })
    }
}

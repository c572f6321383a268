//! Data comparison (数据比对): a seller's listings on every platform side by side, with the
//! batches and producers behind them and the board suppliers upstream; and the sellers
//! ranked so that those with listings on several platforms and goods from a non-compliant
//! supplier come first. Regulators only.

use super::*;
use crate::app::upstream::Names;
use crate::core::domain::ComplianceStatus;
use serde::Serialize;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SupplierStatus {
    pub id: String,
    pub name: String,
    pub status: &'static str,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ComparedBatch {
    pub id: String,
    pub batch_code: String,
    pub product: String,
    pub producer: Option<PartyRef>,
    pub suppliers: Vec<SupplierStatus>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ComparedListing {
    pub id: String,
    pub title: String,
    pub shop: String,
    pub item_id: String,
    pub status: &'static str,
    pub batches: Vec<ComparedBatch>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PlatformListings {
    pub platform: Option<PartyRef>,
    pub listings: Vec<ComparedListing>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SellerComparison {
    pub seller: Option<PartyRef>,
    pub platforms: Vec<PlatformListings>,
    /// Board suppliers upstream of its goods declared non-compliant.
    pub noncompliant_suppliers: Vec<SupplierStatus>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SellerRank {
    pub seller: Option<PartyRef>,
    pub platforms: usize,
    pub listings: usize,
    pub noncompliant_suppliers: Vec<SupplierStatus>,
    /// On several platforms with goods from a non-compliant supplier: listed first.
    pub flagged: bool,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ComparisonList {
    pub sellers: Vec<SellerRank>,
}

impl<'w> Ctx<'w> {
    fn supplier_status(&self, id: NodeId) -> SupplierStatus {
        SupplierStatus {
            id: self.ids.format(NodeKind::Party, id),
            name: self.party_name(id).to_string(),
            status: match self.party_status(id) {
                ComplianceStatus::Compliant => "compliant",
                ComplianceStatus::Suspect => "suspect",
                ComplianceStatus::Noncompliant => "noncompliant",
            },
        }
    }

    /// The board suppliers upstream of a batch.
    fn batch_suppliers(&self, batch: NodeId) -> Vec<NodeId> {
        let mut out: Vec<NodeId> = self
            .w
            .upstream(batch)
            .nodes
            .into_iter()
            .filter(|&n| self.policy().party_role(n) == Some(Role::Supplier))
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    fn compare(&self, seller: NodeId) -> SellerComparison {
        let mut names = Names::default();
        let mut per: BTreeMap<NodeId, Vec<ComparedListing>> = BTreeMap::new();
        let mut bad: Vec<NodeId> = Vec::new();
        for &l in self.w.listings_of(seller) {
            let Some(Record::Listing(listing)) = self.w.record(l).map(|r| &**r) else {
                continue;
            };
            let batches = listing
                .batches
                .iter()
                .filter_map(|b| match self.w.record(b.raw()).map(|r| &**r) {
                    Some(Record::Batch(x)) => {
                        let suppliers = self.batch_suppliers(b.raw());
                        for &s in &suppliers {
                            if self.party_status(s) == ComplianceStatus::Noncompliant
                                && !bad.contains(&s)
                            {
                                bad.push(s);
                            }
                        }
                        Some(ComparedBatch {
                            id: self.ids.id(*b),
                            batch_code: x.batch_code.clone(),
                            product: x.product.name.clone(),
                            producer: self.party_ref(x.manufacturer.raw(), &mut names),
                            suppliers: suppliers
                                .into_iter()
                                .map(|s| self.supplier_status(s))
                                .collect(),
                        })
                    }
                    _ => None,
                })
                .collect();
            per.entry(listing.platform.raw())
                .or_default()
                .push(ComparedListing {
                    id: self.ids.format(NodeKind::Listing, l),
                    title: listing.title.clone(),
                    shop: listing.shop.clone(),
                    item_id: listing.item_id.clone(),
                    status: listing.status.as_str(),
                    batches,
                });
        }
        bad.sort_unstable();
        SellerComparison {
            seller: self.party_ref(seller, &mut names),
            platforms: per
                .into_iter()
                .map(|(p, listings)| PlatformListings {
                    platform: self.party_ref(p, &mut names),
                    listings,
                })
                .collect(),
            noncompliant_suppliers: bad.into_iter().map(|s| self.supplier_status(s)).collect(),
        }
    }
}

impl App {
    /// One seller's listings on every platform, by USCC (or party id).
    pub fn compare_seller(&self, caller: &Caller, seller: &str) -> AppResult<SellerComparison> {
        self.check_role(
            caller,
            &[Role::Regulator],
            "compare sellers across platforms",
        )?;
        let id = match Uscc::parse(seller) {
            Ok(u) => self.store.world().lookup(&NaturalKey::Uscc(u.to_string())),
            Err(_) => self.existing(seller, NodeKind::Party),
        }
        .ok_or_else(|| {
            AppError::not_found(
                "uscc",
                format!("no party with USCC or id '{}'", trunc(seller)),
            )
        })?;
        Ok(self.read_ctx(|cx| cx.compare(id)))
    }

    /// Every seller with listings, flagged ones first (several platforms and a
    /// non-compliant supplier upstream), then by non-compliant suppliers, platforms and
    /// listings.
    pub fn compare_sellers(&self, caller: &Caller) -> AppResult<ComparisonList> {
        self.check_role(
            caller,
            &[Role::Regulator],
            "compare sellers across platforms",
        )?;
        Ok(self.read_ctx(|cx| {
            let mut sellers: Vec<SellerRank> =
                cx.w.ids_of(NodeKind::Party)
                    .iter()
                    .copied()
                    .filter(|&p| !cx.w.listings_of(p).is_empty())
                    .map(|p| {
                        let c = cx.compare(p);
                        let listings = c.platforms.iter().map(|x| x.listings.len()).sum();
                        let flagged = c.platforms.len() > 1 && !c.noncompliant_suppliers.is_empty();
                        SellerRank {
                            seller: c.seller,
                            platforms: c.platforms.len(),
                            listings,
                            noncompliant_suppliers: c.noncompliant_suppliers,
                            flagged,
                        }
                    })
                    .collect();
            sellers.sort_by(|a, b| {
                (
                    b.flagged,
                    b.noncompliant_suppliers.len(),
                    b.platforms,
                    b.listings,
                )
                    .cmp(&(
                        a.flagged,
                        a.noncompliant_suppliers.len(),
                        a.platforms,
                        a.listings,
                    ))
            });
            ComparisonList { sellers }
        }))
    }
}

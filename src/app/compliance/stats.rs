//! Statistics: failing items and the cooperation between bureaus.

use super::*;

impl App {
    /// The upstream lots of a subject with their producers' cities (for statistics).
    pub(crate) fn subject_lots(&self, subject: NodeId) -> AppResult<Vec<crate::core::domain::Lot>> {
        let mut lots = Vec::new();
        for n in self.store.upstream(subject)?.nodes {
            if let Ok(Some(Record::Lot(l))) = self.store.record(n) {
                lots.push(l);
            }
        }
        Ok(lots)
    }

    pub fn failing_items(&self, caller: &Caller, q: &FailingQuery) -> AppResult<FailingItems> {
        self.check_role(
            caller,
            &[Role::Regulator, Role::Lab],
            "read inspection statistics",
        )?;
        if let Some(m) = &q.month {
            let ok = m.len() == 7
                && chrono::NaiveDate::parse_from_str(&format!("{m}-01"), "%Y-%m-%d").is_ok();
            if !ok {
                return Err(AppError::bad(
                    "month",
                    format!("month is YYYY-MM (got '{}')", trunc(m)),
                ));
            }
        }
        let mut items: BTreeMap<String, (u64, u64)> = BTreeMap::new();
        let mut by_month: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
        let (mut total, mut failed, mut online, mut unconfirmed) = (0, 0, 0, 0);
        // A lab counts its own inspections; regulators every lab's.
        let own_lab = (!caller.sees_all()).then_some(caller.party).flatten();
        for id in self.store.ids_of(NodeKind::Inspection) {
            let Record::Inspection(ins) = self.load(id)? else {
                continue;
            };
            if own_lab.is_some_and(|lab| lab != ins.lab.raw()) {
                continue;
            }
            let month = month_of(ins.sampled_at);
            if q.month.as_ref().is_some_and(|m| *m != month) {
                continue;
            }
            if q.material.is_some() || q.city.is_some() {
                let lots = self.subject_lots(ins.subject)?;
                if let Some(mat) = q.material {
                    if !lots.iter().any(|l| l.material == mat) {
                        continue;
                    }
                }
                if let Some(city) = &q.city {
                    let hit = lots.iter().any(|l| {
                        l.inputs.is_empty()
                            && self
                                .party(l.producer.raw())
                                .map(|p| p.city.contains(city.as_str()))
                                .unwrap_or(false)
                    });
                    if !hit {
                        continue;
                    }
                }
            }
            total += 1;
            if ins.verdict == Verdict::Fail {
                failed += 1;
            }
            let confirmed = self.read_ctx(|cx| {
                cx.order_of(id).map(|(_, o)| {
                    o.confirmation.as_ref().is_some_and(|c| {
                        c.result == crate::core::domain::ConfirmationResult::Confirmed
                    })
                })
            });
            if let Some(confirmed) = confirmed {
                online += 1;
                unconfirmed += u64::from(!confirmed);
            }
            for r in &ins.results {
                let e = items.entry(r.item.clone()).or_default();
                e.0 += 1;
                if r.verdict == Verdict::Fail {
                    e.1 += 1;
                    *by_month
                        .entry(month.clone())
                        .or_default()
                        .entry(r.item.clone())
                        .or_default() += 1;
                }
            }
        }
        let mut items: Vec<ItemStat> = items
            .into_iter()
            .map(|(item, (t, f))| ItemStat {
                item,
                tested: t,
                failed: f,
                failure_rate: if t > 0 { f as f64 / t as f64 } else { 0.0 },
            })
            .collect();
        items.sort_by(|a, b| b.failed.cmp(&a.failed).then(a.item.cmp(&b.item)));
        Ok(FailingItems {
            inspections: total,
            failed_inspections: failed,
            online_samples: online,
            unconfirmed_online_samples: unconfirmed,
            items,
            by_month,
        })
    }

    pub fn cooperation(&self, caller: &Caller, q: &PeriodQuery) -> AppResult<Cooperation> {
        self.check_role(caller, &[Role::Regulator], "read cooperation statistics")?;
        let from = q.from.map(|t| t.timestamp_millis()).unwrap_or(i64::MIN);
        let to = q.to.map(|t| t.timestamp_millis()).unwrap_or(i64::MAX);
        let mut pairs: BTreeMap<(NodeId, NodeId), u64> = BTreeMap::new();
        let mut joint: BTreeMap<Vec<NodeId>, u64> = BTreeMap::new();
        for c in self.store.ids_of(NodeKind::Case) {
            let case = self.case(c)?;
            for e in &case.timeline {
                if let CaseStep::Transferred { from: a, to: b } = e.step {
                    if e.at >= from && e.at < to {
                        *pairs.entry((a.raw(), b.raw())).or_default() += 1;
                    }
                }
            }
            if case.kind == CaseKind::Joint && case.created_at >= from && case.created_at < to {
                let set: BTreeSet<NodeId> = case.bureaus.iter().map(|b| b.raw()).collect();
                *joint.entry(set.into_iter().collect()).or_default() += 1;
            }
        }
        let p = |n: NodeId| self.ids.format(NodeKind::Party, n);
        let requests = self.request_stats(from, to);
        Ok(Cooperation {
            requests_total: requests.iter().map(|r| r.received).sum(),
            requests,
            transfers_total: pairs.values().sum(),
            joint_cases_total: joint.values().sum(),
            transfers: pairs
                .into_iter()
                .map(|((a, b), n)| PairStat {
                    from: p(a),
                    to: p(b),
                    transfers: n,
                })
                .collect(),
            joint_cases: joint
                .into_iter()
                .map(|(bs, n)| JointStat {
                    bureaus: bs.into_iter().map(p).collect(),
                    cases: n,
                })
                .collect(),
        })
    }
}

//! A person's answers from their records' answers, by the declared rules: multi-valued columns
//! take the union; single-valued ones take a known answer over `unknown`, then the most
//! specific by the declared precedence, else the most frequent, counted as a conflict.

use std::collections::BTreeMap;

use crate::schema::{CodeList, Resolution, RuleKind};

#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct ResolveStats {
    /// Persons whose records disagreed and no precedence settled it.
    pub conflicts: BTreeMap<String, u64>,
    /// Persons whose records disagreed and the precedence chose the more specific answer.
    pub by_precedence: BTreeMap<String, u64>,
}

impl ResolveStats {
    pub fn add(&mut self, other: ResolveStats) {
        for (k, v) in other.conflicts {
            *self.conflicts.entry(k).or_default() += v;
        }
        for (k, v) in other.by_precedence {
            *self.by_precedence.entry(k).or_default() += v;
        }
    }
}

pub struct Resolver<'a> {
    pub column: &'a str,
    pub rule: &'a Resolution,
    pub list: Option<&'a CodeList>,
    pub separator: char,
}

impl Resolver<'_> {
    fn order(&self, code: &str) -> usize {
        self.list.and_then(|l| l.position(code)).unwrap_or(usize::MAX)
    }

    /// Resolves the answers of one person's records.
    pub fn resolve<'v>(
        &self,
        values: impl Iterator<Item = Option<&'v str>>,
        stats: &mut ResolveStats,
    ) -> Option<String> {
        match self.rule.rule {
            RuleKind::Union => self.union(values),
            RuleKind::Single => self.single(values, stats),
        }
    }

    fn union<'v>(&self, values: impl Iterator<Item = Option<&'v str>>) -> Option<String> {
        let mut codes: Vec<&str> = Vec::new();
        for v in values.flatten() {
            for c in v.split(self.separator) {
                if !codes.contains(&c) {
                    codes.push(c);
                }
            }
        }
        if codes.len() > 1 {
            codes.retain(|c| *c != "unknown");
        }
        codes.sort_by(|a, b| self.order(a).cmp(&self.order(b)).then(a.cmp(b)));
        (!codes.is_empty()).then(|| codes.join(&self.separator.to_string()))
    }

    fn single<'v>(
        &self,
        values: impl Iterator<Item = Option<&'v str>>,
        stats: &mut ResolveStats,
    ) -> Option<String> {
        let mut counts: Vec<(&str, u32)> = Vec::new();
        let mut said_unknown = false;
        for v in values.flatten() {
            if v == "unknown" {
                said_unknown = true;
                continue;
            }
            match counts.iter_mut().find(|(c, _)| *c == v) {
                Some(e) => e.1 += 1,
                None => counts.push((v, 1)),
            }
        }
        match counts.len() {
            0 => said_unknown.then(|| "unknown".to_string()),
            1 => Some(counts[0].0.to_string()),
            _ => {
                let rank = |c: &str| {
                    self.rule
                        .precedence
                        .iter()
                        .position(|p| p == c)
                        .unwrap_or(usize::MAX)
                };
                let best = counts.iter().map(|(c, _)| rank(c)).min().unwrap_or(usize::MAX);
                if best != usize::MAX {
                    *stats.by_precedence.entry(self.column.to_string()).or_default() += 1;
                    return counts
                        .iter()
                        .find(|(c, _)| rank(c) == best)
                        .map(|(c, _)| c.to_string());
                }
                *stats.conflicts.entry(self.column.to_string()).or_default() += 1;
                counts.sort_by(|(a, m), (b, n)| {
                    n.cmp(m).then(self.order(a).cmp(&self.order(b))).then(a.cmp(b))
                });
                Some(counts[0].0.to_string())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolver(rule: RuleKind, precedence: &[&str]) -> Resolution {
        Resolution {
            rule,
            precedence: precedence.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn single_prefers_known_then_precedence_then_counts_conflicts() {
        let mut st = ResolveStats::default();
        let r = resolver(RuleKind::Single, &["yes", "no"]);
        let res = Resolver {
            column: "police_report",
            rule: &r,
            list: None,
            separator: ';',
        };
        assert_eq!(
            res.resolve([Some("unknown"), Some("no"), None].into_iter(), &mut st),
            Some("no".into())
        );
        assert_eq!(
            res.resolve([Some("no"), Some("yes")].into_iter(), &mut st),
            Some("yes".into())
        );
        assert_eq!(
            res.resolve([Some("unknown"), None].into_iter(), &mut st),
            Some("unknown".into())
        );
        assert_eq!(res.resolve([None, None].into_iter(), &mut st), None);
        assert_eq!(st.by_precedence.get("police_report"), Some(&1));
        let plain = resolver(RuleKind::Single, &[]);
        let res = Resolver {
            column: "gender",
            rule: &plain,
            list: None,
            separator: ';',
        };
        assert_eq!(
            res.resolve([Some("woman"), Some("man"), Some("woman")].into_iter(), &mut st),
            Some("woman".into())
        );
        assert_eq!(st.conflicts.get("gender"), Some(&1));
    }

    /// The age group is the age at first contact: one organisation's child outweighs two
    /// organisations' adult, by the schema's own rules.
    #[test]
    fn a_child_at_any_organisation_was_a_child_at_first_contact() {
        let schema = crate::schema::load_embedded().expect("schema");
        let rules = crate::schema::LinkageSpec::load(&schema).expect("linkage rules");
        let rule = &rules.resolution["age_group"];
        let res = Resolver {
            column: "age_group",
            rule,
            list: schema.code_list("age_group"),
            separator: ';',
        };
        let mut st = ResolveStats::default();
        assert_eq!(
            res.resolve([Some("adult"), Some("child"), Some("adult")].into_iter(), &mut st),
            Some("child".into())
        );
        assert_eq!(st.by_precedence.get("age_group"), Some(&1));
        assert!(st.conflicts.is_empty());
    }

    #[test]
    fn union_drops_unknown_next_to_known() {
        let r = resolver(RuleKind::Union, &[]);
        let res = Resolver {
            column: "f",
            rule: &r,
            list: None,
            separator: ';',
        };
        let mut st = ResolveStats::default();
        assert_eq!(
            res.resolve(
                [Some("sexual"), Some("labour;unknown"), None].into_iter(),
                &mut st
            ),
            Some("labour;sexual".into())
        );
        assert_eq!(
            res.resolve([Some("unknown")].into_iter(), &mut st),
            Some("unknown".into())
        );
    }
}

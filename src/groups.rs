//! Subject groups: rules tuned per group of extensions, trunks or accounts.
//!
//! `[[groups]]` tables name a group, the subjects it holds (glob patterns over subject names:
//! `"3*"`, `"sales-*"`, `"telekom"`), destinations allowed for them on top of `[allow]`, and
//! rule settings that override `[rules.*]` for them (`[groups.rules.volume]`, key by key). A
//! subject belongs to the first group whose pattern matches; subjects of no group use the
//! site-wide settings. A call centre's queue agents get higher volume limits, the lobby phone a
//! stricter destination policy, without loosening anything for everyone else.

use crate::number::allow::AllowList;
use crate::rules::RulesSettings;
use globset::{Glob, GlobSet, GlobSetBuilder};
use serde::Deserialize;

/// One `[[groups]]` table as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupSettings {
    /// Group name, shown in `explain` output and errors.
    pub name: String,
    /// Glob patterns over subject names (extension numbers, trunk names, account codes).
    pub members: Vec<String>,
    /// Destinations allowed for this group on top of `[allow] destinations`.
    #[serde(default)]
    pub allow: AllowList,
    /// Rule settings overriding `[rules.*]` for this group, key by key.
    #[serde(default)]
    pub rules: toml::Table,
}

/// A group ready to use.
#[derive(Debug, Clone)]
pub struct Group {
    /// Name.
    pub name: String,
    /// Member patterns, compiled.
    members: GlobSet,
    /// Site-wide plus group allow-list.
    pub allow: AllowList,
    /// Site-wide rule settings with the group's overrides applied.
    pub rules: RulesSettings,
}

impl Group {
    /// True when the subject name is a member.
    pub fn contains(&self, subject: &str) -> bool {
        self.members.is_match(subject)
    }
}

/// Deep-merges `over` into `base`: tables merge key by key, anything else is replaced.
fn merge(base: &mut toml::Table, over: &toml::Table) {
    for (k, v) in over {
        match (base.get_mut(k), v) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge(b, o),
            _ => {
                base.insert(k.clone(), v.clone());
            }
        }
    }
}

/// Resolves the groups against the site-wide rules and allow-list; errors name the group.
pub fn resolve(
    groups: &[GroupSettings],
    rules: &RulesSettings,
    allow: &AllowList,
) -> Result<Vec<Group>, String> {
    let base = toml::Table::try_from(rules).map_err(|e| e.to_string())?;
    let mut seen = std::collections::HashSet::new();
    groups
        .iter()
        .map(|g| {
            let what = format!("[[groups]] `{}`", g.name);
            if !seen.insert(g.name.as_str()) {
                return Err(format!("{what}: the name is used twice"));
            }
            if g.members.is_empty() {
                return Err(format!("{what}: `members` is empty"));
            }
            let mut b = GlobSetBuilder::new();
            for m in &g.members {
                b.add(Glob::new(m).map_err(|e| format!("{what}: bad member pattern `{m}`: {e}"))?);
            }
            let members = b.build().map_err(|e| format!("{what}: {e}"))?;
            let mut table = base.clone();
            merge(&mut table, &g.rules);
            let rules: RulesSettings = toml::Value::Table(table)
                .try_into()
                .map_err(|e| format!("{what}: invalid rule settings: {e}"))?;
            let mut all = allow.clone();
            all.0.extend(g.allow.0.iter().cloned());
            Ok(Group {
                name: g.name.clone(),
                members,
                allow: all,
                rules,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct File {
        groups: Vec<GroupSettings>,
    }

    fn groups(text: &str) -> Result<Vec<Group>, String> {
        let f: File = toml::from_str(text).map_err(|e| e.to_string())?;
        resolve(&f.groups, &RulesSettings::default(), &AllowList::default())
    }

    #[test]
    fn overrides_merge_key_by_key_and_the_first_group_wins() {
        let g = groups(
            r#"
[[groups]]
name = "callcenter"
members = ["3*"]
allow = ["+33 1 44*"]
[groups.rules.volume]
max_calls_per_hour = 120

[[groups]]
name = "everyone-else-with-3"
members = ["3??"]
[groups.rules.volume]
enabled = false
"#,
        )
        .unwrap();
        assert!(g[0].contains("301") && !g[0].contains("201"));
        assert_eq!(g[0].rules.volume.max_calls_per_hour, 120);
        // Keys not overridden keep the site-wide value.
        assert_eq!(
            g[0].rules.volume.max_calls_per_day,
            RulesSettings::default().volume.max_calls_per_day
        );
        assert!(g[0].allow.allows("+33144000000"));
        assert!(!g[1].rules.volume.enabled);
    }

    #[test]
    fn bad_groups_are_refused_with_their_name() {
        let e = groups("[[groups]]\nname = \"x\"\nmembers = [\"2*\"]\n[groups.rules.volume]\nmax_calls_per_hour = \"many\"\n").unwrap_err();
        assert!(e.contains("`x`"), "{e}");
        let e = groups("[[groups]]\nname = \"x\"\nmembers = [\"2*\"]\n[groups.rules.nosuchrule]\nenabled = true\n").unwrap_err();
        assert!(e.contains("`x`") && e.contains("nosuchrule"), "{e}");
        let e = groups("[[groups]]\nname = \"x\"\nmembers = []\n").unwrap_err();
        assert!(e.contains("members"), "{e}");
    }
}

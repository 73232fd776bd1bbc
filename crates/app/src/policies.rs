//! The policies a deployment runs: every version of every scheme, chosen by scheme id and date.
//! The shipped policies are compiled into the binary so a fresh install works from anywhere; a
//! force can load its own directory instead.

use checkpoint_domain::policy::{Policy, PolicyErrors};
use jiff::civil::Date;
use std::path::Path;
use std::sync::Arc;

/// The policies shipped in `policies/`, as (file name, contents).
pub const SHIPPED: [(&str, &str); 4] = [
    (
        "durham-checkpoint-2015.toml",
        include_str!("../../../policies/durham-checkpoint-2015.toml"),
    ),
    (
        "durham-checkpoint-2017.toml",
        include_str!("../../../policies/durham-checkpoint-2017.toml"),
    ),
    (
        "west-midlands-divert.toml",
        include_str!("../../../policies/west-midlands-divert.toml"),
    ),
    (
        "avon-somerset-dep.toml",
        include_str!("../../../policies/avon-somerset-dep.toml"),
    ),
];

#[derive(Debug, Clone, Default)]
pub struct PolicyRegistry {
    policies: Vec<Arc<Policy>>,
}

#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("{0}")]
    Invalid(PolicyErrors),
    #[error("reading {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{file}: policy {id} version {version} is loaded twice")]
    DuplicateVersion {
        file: String,
        id: String,
        version: u32,
    },
}

impl PolicyRegistry {
    /// Builds a registry from (file name, contents) pairs.
    pub fn from_sources<'a>(
        sources: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<PolicyRegistry, RegistryError> {
        let mut registry = PolicyRegistry::default();
        for (file, text) in sources {
            let policy = Policy::from_toml(text, file).map_err(RegistryError::Invalid)?;
            if registry.get(policy.id(), policy.version()).is_some() {
                return Err(RegistryError::DuplicateVersion {
                    file: file.to_owned(),
                    id: policy.id().to_owned(),
                    version: policy.version(),
                });
            }
            registry.policies.push(Arc::new(policy));
        }
        registry
            .policies
            .sort_by(|a, b| (a.id(), a.version()).cmp(&(b.id(), b.version())));
        Ok(registry)
    }

    /// The policies compiled into the binary.
    pub fn shipped() -> Result<PolicyRegistry, RegistryError> {
        PolicyRegistry::from_sources(SHIPPED)
    }

    /// Every `*.toml` in a directory (golden files and others are ignored).
    pub fn load_dir(dir: &Path) -> Result<PolicyRegistry, RegistryError> {
        let io = |path: &Path, source| RegistryError::Io {
            path: path.display().to_string(),
            source,
        };
        let mut files = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(|e| io(dir, e))? {
            let path = entry.map_err(|e| io(dir, e))?.path();
            if path.extension().is_some_and(|e| e == "toml") {
                let text = std::fs::read_to_string(&path).map_err(|e| io(&path, e))?;
                files.push((path.display().to_string(), text));
            }
        }
        files.sort();
        PolicyRegistry::from_sources(files.iter().map(|(f, t)| (f.as_str(), t.as_str())))
    }

    pub fn all(&self) -> &[Arc<Policy>] {
        &self.policies
    }

    /// Scheme ids, each once.
    pub fn schemes(&self) -> Vec<&str> {
        let mut ids: Vec<&str> = self.policies.iter().map(|p| p.id()).collect();
        ids.dedup();
        ids
    }

    pub fn get(&self, scheme: &str, version: u32) -> Option<&Arc<Policy>> {
        self.policies
            .iter()
            .find(|p| p.id() == scheme && p.version() == version)
    }

    /// The version of a scheme in force on a date (the newest, if several overlap).
    pub fn in_force(&self, scheme: &str, on: Date) -> Option<&Arc<Policy>> {
        self.policies
            .iter()
            .rev()
            .find(|p| p.id() == scheme && p.in_force_on(on))
    }

    /// The newest version of a scheme, whatever its dates.
    pub fn latest(&self, scheme: &str) -> Option<&Arc<Policy>> {
        self.policies.iter().rev().find(|p| p.id() == scheme)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn shipped_policies_load_and_versions_are_chosen_by_date() {
        let registry = PolicyRegistry::shipped().unwrap();
        assert!(registry.schemes().len() >= 3);
        let durham_2016 = registry
            .in_force("durham-checkpoint", date(2016, 6, 1))
            .unwrap();
        let durham_2020 = registry
            .in_force("durham-checkpoint", date(2020, 6, 1))
            .unwrap();
        assert!(durham_2016.version() < durham_2020.version());
        assert!(
            registry
                .in_force("durham-checkpoint", date(2010, 1, 1))
                .is_none()
        );
    }

    #[test]
    fn loading_the_same_version_twice_is_refused() {
        let twice = [SHIPPED[0], SHIPPED[0]];
        assert!(matches!(
            PolicyRegistry::from_sources(twice),
            Err(RegistryError::DuplicateVersion { .. })
        ));
    }
}

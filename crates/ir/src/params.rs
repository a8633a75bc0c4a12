//! The `key=value, ...` parameter lists of custom ops' text form (`Eigh{UPLO='L'}`,
//! `Unique{return_index=True, ..., axis=None}`), read with Python's spellings of booleans,
//! strings, integers and `None`.

/// A parsed parameter list of op `op`.
pub struct Params<'a> {
    op: &'a str,
    kv: Vec<(&'a str, &'a str)>,
}

impl<'a> Params<'a> {
    /// Split `text` (no value may hold a comma).
    pub fn parse(op: &'a str, text: &'a str) -> Result<Params<'a>, String> {
        let mut kv = Vec::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (k, v) = part
                .split_once('=')
                .ok_or_else(|| format!("{op}: parameter `{part}` is not key=value"))?;
            kv.push((k.trim(), v.trim()));
        }
        Ok(Params { op, kv })
    }

    fn get(&self, key: &str) -> Option<&'a str> {
        self.kv.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
    }

    /// `True`/`False` (or `1`/`0`), `default` when absent.
    pub fn flag(&self, key: &str, default: bool) -> Result<bool, String> {
        match self.get(key) {
            None => Ok(default),
            Some("True" | "1") => Ok(true),
            Some("False" | "0") => Ok(false),
            Some(v) => Err(format!("{}: {key} must be True or False, got {v}", self.op)),
        }
    }

    /// A quoted string (quotes removed), `default` when absent.
    pub fn string(&self, key: &str, default: &'a str) -> Result<&'a str, String> {
        match self.get(key) {
            None => Ok(default),
            Some(v) => v
                .strip_prefix('\'')
                .and_then(|r| r.strip_suffix('\''))
                .ok_or_else(|| format!("{}: {key} must be a quoted string, got {v}", self.op)),
        }
    }

    /// An integer or `None`, `default` when absent.
    pub fn int(&self, key: &str, default: Option<i64>) -> Result<Option<i64>, String> {
        match self.get(key) {
            None => Ok(default),
            Some("None") => Ok(None),
            Some(v) => v
                .parse()
                .map(Some)
                .map_err(|_| format!("{}: {key} must be an integer or None, got {v}", self.op)),
        }
    }

    /// A float (Rust's `{:?}` or Python's spelling), `None` when absent.
    pub fn float(&self, key: &str) -> Result<Option<f64>, String> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => v
                .parse()
                .map(Some)
                .map_err(|_| format!("{}: {key} must be a number, got {v}", self.op)),
        }
    }

    /// Every key is one of `known`.
    pub fn only(&self, known: &[&str]) -> Result<(), String> {
        match self.kv.iter().find(|(k, _)| !known.contains(k)) {
            Some((k, _)) => Err(format!("{} has no parameter {k}", self.op)),
            None => Ok(()),
        }
    }
}

//! Answers remembered per thread: header finding and row matching ask the same pure questions of the same
//! titles and indicator names in every return of a run.

/// A thread's answers to one question, by text, valid for one scope (the run's period, or `()`).
pub struct Memo<S, V> {
    scope: Option<S>,
    // foldhash: every title of every return is hashed here, and SipHash cost more than the answers saved.
    known: foldhash::HashMap<String, V>,
}

impl<S, V> Default for Memo<S, V> {
    fn default() -> Self {
        Self {
            scope: None,
            known: foldhash::HashMap::default(),
        }
    }
}

impl<S: PartialEq + Copy, V: Clone> Memo<S, V> {
    /// The answer for `key` in `scope`, worked out by `work` the first time it is asked.
    pub fn answer(&mut self, key: &str, scope: S, work: impl FnOnce() -> V) -> V {
        // Bounded: a run's titles and indicator names are few, but free text in data rows is not.
        if self.scope != Some(scope) || self.known.len() > 16_384 {
            self.scope = Some(scope);
            self.known.clear();
        }
        if let Some(v) = self.known.get(key) {
            return v.clone();
        }
        let v = work();
        self.known.insert(key.to_string(), v.clone());
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_worked_out_once_per_scope() {
        let mut memo: Memo<u32, usize> = Memo::default();
        let calls = std::cell::Cell::new(0);
        let work = |key: &str| {
            calls.set(calls.get() + 1);
            key.len()
        };
        assert_eq!(memo.answer("累计", 1, || work("累计")), 6);
        assert_eq!(memo.answer("累计", 1, || work("累计")), 6);
        assert_eq!(calls.get(), 1, "asked twice, worked out once");
        assert_eq!(memo.answer("累计", 2, || work("累计")), 6);
        assert_eq!(calls.get(), 2, "a new scope forgets the old answers");
    }
}

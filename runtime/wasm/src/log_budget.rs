//! How much one step (or one filter call) may log: a number of lines and of bytes,
//! counted over every level. Past either cap the guest's further lines are dropped and
//! counted, and the step ends with one notice saying how many were.
//!
//! Without a cap, a guest logging in a loop turns its CPU budget into thousands of log
//! lines and, from `warn` up, thousands of notification rows per step.

use std::fmt;

/// The per-step caps on guest log lines; see [`crate::HostConfig::log_caps`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogCaps {
    /// Lines a step may log (every level counts).
    pub lines: u32,
    /// Bytes of those lines (after each is cut to the longest line kept).
    pub bytes: usize,
}

impl Default for LogCaps {
    /// 100 lines and 64 KiB per step.
    fn default() -> Self {
        LogCaps {
            lines: 100,
            bytes: 64 * 1024,
        }
    }
}

/// What one step has logged so far, and what it lost to the caps.
#[derive(Debug)]
pub(crate) struct LogBudget {
    caps: LogCaps,
    lines: u32,
    bytes: usize,
    dropped_lines: u64,
    dropped_bytes: u64,
}

impl LogBudget {
    pub(crate) fn new(caps: LogCaps) -> Self {
        LogBudget {
            caps,
            lines: 0,
            bytes: 0,
            dropped_lines: 0,
            dropped_bytes: 0,
        }
    }

    /// Whether a line of `len` bytes may still be logged; a refused line is counted
    /// as dropped. A line that would cross the byte cap is refused whole, so the
    /// lines kept are never cut by the budget.
    pub(crate) fn admit(&mut self, len: usize) -> bool {
        if self.lines < self.caps.lines && self.bytes.saturating_add(len) <= self.caps.bytes {
            self.lines += 1;
            self.bytes += len;
            return true;
        }
        self.dropped_lines += 1;
        self.dropped_bytes = self.dropped_bytes.saturating_add(len as u64);
        false
    }

    /// What was dropped, if anything: the text of the step's one truncation notice.
    pub(crate) fn truncation(&self) -> Option<Truncated> {
        (self.dropped_lines > 0).then_some(Truncated {
            lines: self.dropped_lines,
            bytes: self.dropped_bytes,
            caps: self.caps,
        })
    }
}

/// The notice ending a step whose log was cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Truncated {
    lines: u64,
    bytes: u64,
    caps: LogCaps,
}

impl fmt::Display for Truncated {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "log truncated: {} more lines ({} bytes) dropped; a step may log {} lines or {} bytes",
            self.lines, self.bytes, self.caps.lines, self.caps.bytes
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_past_the_line_cap_are_dropped_and_counted() {
        let mut budget = LogBudget::new(LogCaps {
            lines: 3,
            bytes: 1000,
        });
        assert!((0..3).all(|_| budget.admit(10)));
        assert_eq!(budget.truncation(), None);
        assert!(!budget.admit(10));
        assert!(!budget.admit(5));
        let notice = budget.truncation().unwrap();
        assert_eq!((notice.lines, notice.bytes), (2, 15));
        assert_eq!(
            notice.to_string(),
            "log truncated: 2 more lines (15 bytes) dropped; a step may log 3 lines or 1000 bytes"
        );
    }

    #[test]
    fn a_line_crossing_the_byte_cap_is_dropped_whole_and_smaller_ones_still_fit() {
        let mut budget = LogBudget::new(LogCaps {
            lines: 10,
            bytes: 100,
        });
        assert!(budget.admit(60));
        assert!(!budget.admit(41));
        assert!(budget.admit(40));
        assert!(!budget.admit(1));
        let notice = budget.truncation().unwrap();
        assert_eq!((notice.lines, notice.bytes), (2, 42));
    }
}

//! The `limits` in force, and their defaults.

/// Default of `limits.max_value_len`, in bytes.
pub(crate) const DEFAULT_MAX_VALUE_LEN: usize = 2048;
/// Default of `limits.max_location_len`, in bytes.
pub(crate) const DEFAULT_MAX_LOCATION_LEN: usize = 8192;

/// The limits in force.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Limits {
    pub(crate) max_value_len: usize,
    pub(crate) max_location_len: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_value_len: DEFAULT_MAX_VALUE_LEN,
            max_location_len: DEFAULT_MAX_LOCATION_LEN,
        }
    }
}

//! The built-in plugins, compiled to `wasm32-wasip2` by `build.rs` and embedded in the
//! binary so that `sluice` works without any file beside it.

include!(concat!(env!("OUT_DIR"), "/builtin_plugins.rs"));

/// The component bytes of the built-in plugin `name`.
#[must_use]
pub(crate) fn get(name: &str) -> Option<&'static [u8]> {
    BUILTINS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, bytes)| *bytes)
}

/// The names of the built-in plugins, in a stable order.
pub fn names() -> impl Iterator<Item = &'static str> {
    BUILTINS.iter().map(|(n, _)| *n)
}

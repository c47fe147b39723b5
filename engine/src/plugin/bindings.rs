//! The host-side bindings of the four plugin worlds, generated from `sdk/wit` (the one WIT
//! package shared with the SDK). Types of the shared `types` interface are generated once,
//! in `source`, and reused by the other worlds.

#![allow(missing_docs, unreachable_pub, clippy::all, clippy::pedantic)] // Generated code.

pub(crate) mod source {
    wasmtime::component::bindgen!({ path: "../sdk/wit", world: "sluice:plugin/source" });
}

pub(crate) mod transform {
    wasmtime::component::bindgen!({
        path: "../sdk/wit",
        world: "sluice:plugin/transform",
        with: { "sluice:plugin/types": super::source::sluice::plugin::types },
    });
}

pub(crate) mod validator {
    wasmtime::component::bindgen!({
        path: "../sdk/wit",
        world: "sluice:plugin/validator",
        with: { "sluice:plugin/types": super::source::sluice::plugin::types },
    });
}

pub(crate) mod matcher {
    wasmtime::component::bindgen!({
        path: "../sdk/wit",
        world: "sluice:plugin/matcher",
        with: { "sluice:plugin/types": super::source::sluice::plugin::types },
    });
}

pub(crate) use source::sluice::plugin::types as wit;

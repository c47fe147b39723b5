//! A validator whose `describe()` lies: it says it is a matcher. The host must refuse to run
//! it as one, with an error naming the plugin, instead of calling exports that are not there.
//!
//! It exists only for the host's sandbox tests. Never use it in a real pipeline.

use sluice_sdk::{
    Batch, Context, Error, Kind, Params, PluginInfo, RowVerdict, Validator, ValidatorPlan,
};

/// Accepts every row; only its self-description is wrong.
pub struct Liar;

impl Validator for Liar {
    fn describe() -> PluginInfo {
        PluginInfo::new(
            "liar",
            env!("CARGO_PKG_VERSION"),
            Kind::Matcher,
            "A validator that claims to be a matcher",
            Vec::new(),
        )
    }

    fn prepare(_: &[String], _: &Params, _: &Context) -> Result<(Self, ValidatorPlan), Error> {
        Ok((Self, ValidatorPlan::default()))
    }

    fn validate(&mut self, _: &Batch, _: &mut Vec<RowVerdict>) -> Result<(), Error> {
        Ok(())
    }
}

#[cfg(target_family = "wasm")]
sluice_sdk::export_validator!(Liar);

//! Facts about Amazon Inspector Classic shared by the provider, the Lambdas and the local
//! AWS: the Classic regions with their Inspector service accounts and rules packages
//! (from `classic-regions.json`, which the local AWS loads too), ARN formats, and event
//! names.

mod arn;
mod event;
mod regions;

pub use arn::{ArnError, InspectorArn, InspectorResource, TopicArn};
pub use event::{InspectorEvent, UnknownEvent};
pub use regions::{classic_region, classic_regions, ClassicRegion, RulesPackage};

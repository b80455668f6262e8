//! What every schema of the provider builds its attributes with.

use tf_provider::schema::{Attribute, AttributeConstraint, AttributeType, Description};

/// An attribute of `attr_type` with a markdown description (not sensitive, not deprecated).
pub fn attribute(
    attr_type: AttributeType,
    constraint: AttributeConstraint,
    description: impl ToString,
) -> Attribute {
    Attribute {
        attr_type,
        description: Description::markdown(description),
        constraint,
        ..Default::default()
    }
}

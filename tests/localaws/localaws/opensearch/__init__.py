"""An OpenSearch test endpoint inside the local AWS: SigV4-verified, in memory, programmable.

No OpenSearch server can be installed here, so the sink is tested against this endpoint:
`middleware.OpenSearchMiddleware` serves /_localaws/opensearch/<domain>/... and the admin
route; `sigv4` checks signatures with the keys moto's STS issued; `domain` and `documents`
hold the data and answer as OpenSearch 2.x does.
"""

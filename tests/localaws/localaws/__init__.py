"""inspectorlink's local AWS: moto's server with fidelity patches and an Inspector Classic backend."""

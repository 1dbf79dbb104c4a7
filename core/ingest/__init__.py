"""Events into the store: where each came from, one event made from its image, uploads, retries and the
batch service every entry point shares."""

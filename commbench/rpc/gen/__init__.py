"""Stubs generated from payloads/rpc.proto by commbench.rpc.codegen: do not edit."""

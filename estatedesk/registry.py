"""Where each service's app factory and worker builder live (imported lazily, by name)."""

from __future__ import annotations

from importlib import import_module

from shared.config import SERVICES


def app_factory(service: str):
    return import_module(f"services.{service}.app").create_app


def worker_builder(service: str):
    return import_module(f"services.{service}.worker").build_worker


__all__ = ["SERVICES", "app_factory", "worker_builder"]

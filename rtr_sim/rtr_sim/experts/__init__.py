"""Scripted experts that produce the demonstrations."""

from .scripted import ScriptedExpert

__all__ = ['ScriptedExpert']

"""Refine Result and Run Again as operations: what a host sends for a result layer (its recipe with it).

The worker turns either into the recipe's own action (plugin/refine.py): a follow-up continues the
conversation that made the result; Run Again is the recipe as a new one-shot action. The command line
reads the recipe from its PNG instead (plugin/cli_refine.py). Importing this module registers them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from plugin.ops_base import Operation, OperationError, _check_text, register


def _check_recipe(recipe: object) -> None:
    """A dict (the host reads it from the layer; plugin/refine.py says what is missing from it)."""
    if not isinstance(recipe, dict):
        raise OperationError(
            "recipe", "the layer's recipe is damaged; select a result layer that an Imagen action made"
        )


@register
@dataclass(frozen=True)
class Refine(Operation):
    """A follow-up instruction on a result, continuing its conversation with the model."""

    action: ClassVar[str] = "refine"

    prompt: str = ""
    afresh: bool = False
    recipe: dict = field(default_factory=dict)

    def validate(self) -> None:
        _check_text("prompt", self.prompt, required=True)
        _check_recipe(self.recipe)


@register
@dataclass(frozen=True)
class Again(Operation):
    """A result's recipe as a new action: its prompt (or a new one), settings and selection."""

    action: ClassVar[str] = "again"

    prompt: str = ""  # "" = the result's prompt
    negative_prompt: str = ""  # "" = the result's; "-" = none
    grow: int = -1  # -1 = the result's (its mask blends as it is)
    feather: int = -1
    new_tier: str = ""  # "" = the result's tier
    new_model: str = ""  # "" = the result's model, or the new tier's
    new_seed: bool = True
    recipe: dict = field(default_factory=dict)

    def validate(self) -> None:  # the other fields: the table's (Operation.__post_init__)
        _check_recipe(self.recipe)


__all__ = ["Again", "Refine"]

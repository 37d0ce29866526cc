"""IVR and dialplan administration: menus as data and as FreeSWITCH XML, checks, dry runs,
versions, publish and rollback (docs/ivr.md).

- :mod:`.model` — :class:`Menu`/:class:`Entry`, :func:`render_menu`, :func:`menu_from_xml`,
  :func:`ensure_extensions` (the ``switchdesk`` context's extensions a menu needs)
- :mod:`.fsxml` — FreeSWITCH's preprocessor and parser, with file/line positions
- :mod:`.dialplan` — the XML dialplan's hunt (which extension a number reaches)
- :mod:`.validate` — :func:`validate`: every rule, one :class:`Problem` each
- :mod:`.dryrun` — :func:`dry_run`: a DID and keys -> what FreeSWITCH would do
- :mod:`.publish` — atomic writes, ``reloadxml``, putting the old files back on failure
- :mod:`.service` — :class:`IvrAdmin`, what the admin pages and the REST API use
"""
from .dryrun import DryRun, dry_run
from .model import Entry, Menu, ensure_extensions, menu_from_xml, render_menu
from .validate import Catalogue, Problem, validate

__all__ = ["Catalogue", "DryRun", "Entry", "Menu", "Problem", "dry_run", "ensure_extensions", "menu_from_xml",
           "render_menu", "validate"]

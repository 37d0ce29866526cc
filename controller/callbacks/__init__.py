"""Callbacks: one durable model for every kind, launched exactly once (see docs/callbacks.md).

- ``store``: the :class:`~controller.models.Callback` rows, statuses as compare-and-set
  updates with history, requests with dedupe, claims;
- ``scheduler``: the APScheduler job that launches due callbacks;
- ``dialing``: offering a callback to an agent and making the call;
- ``menus``: what a waiting caller can do with their keypad (in-queue callback, max-wait menu);
- ``agent_initiated``: calling a customer back at another number during a call;
- ``campaigns``: progressive dialing and global callbacks;
- ``service``: :class:`CallbackControl`, mixed into the contact center;
- ``windows``, ``numbers``, ``prompts``: pure helpers.
"""

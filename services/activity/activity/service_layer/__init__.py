"""Use cases of the activity service, one module per concern: ``tenants`` (clock, rules,
closed months), ``directory`` (the local copy of the roster, from events), ``entries``,
``decisions``, ``queries``, ``deadlines``, ``admin`` (verifiers, acting officials) and
``plans`` (plans and agenda).

Each use case takes the session first and runs inside the caller's transaction
(``await rt.uow.run(entries.create_entry, ...)``: the session is the unit of work): state
change, audit row and outbox event commit together. ``now`` parameters default to the
current instant; tests pass a fixed one."""

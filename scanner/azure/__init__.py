"""Azure: turning Resource Graph rows and Microsoft Graph responses into the neutral snapshot.

`records` transforms raw rows and responses (pure, unit-tested from canned pages), `roles`
evaluates role definitions by their actions, and `graph_step` adds Azure's nodes and edges
(administrator power, escalation through applications) to the graph.
"""

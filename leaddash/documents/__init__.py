"""The structured documents people write, as typed models (pydantic): the lead
definition's terms (`definition`), the SLA's terms (`sla`) and an import's mapping file
(`mapping`); `base` turns a model's ValidationError into the project's InvalidInput.

Each model says what a well-formed document holds, and its checks raise the message a
person acts on, naming the field or section at fault. The stored JSON keeps its shape:
callers validate the dict they store and keep storing that dict, and keys a model does not
name are allowed (and kept) in the definition and the SLA, as before the models.
"""

"""Serialisers (ST.96 XML, JSON) and the validation gate, with the official schemas vendored."""

"""The money side: tariffs (OCPI 2.2.1 as the native model, versioned), costing of sessions into
charging periods, charge detail records and revenue. Pure functions over stored data, driven off
the message path; money is ``Decimal``, never float. See docs/billing.md."""

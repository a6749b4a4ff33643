"""The bottom layer every other part of leaddash may use: the acting user, time and name
helpers, bulk writes and the SQL expressions over `Lead`. It imports nothing from leaddash
but the tables (`leaddash.models`)."""

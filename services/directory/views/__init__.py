"""Read-side queries for the directory's API, with the privacy rules applied on the way out.

Every path that returns profile data goes through `profiles.project_profile` (a whole profile)
or `search_results.search_results_json` (search results): both take the viewer, so no read path
forgets privacy. `viewers` works out who is looking (their relations), `tags` the expertise
labels, `lists` the owners' and admins' lists.
"""

"""The Textual front end: the app, its launchers and its widgets. The only package that imports
``textual``; the core beside it runs headless."""

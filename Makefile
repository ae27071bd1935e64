# Convenience wrappers; dev.py does the work so a machine without make can run it too.
.PHONY: demo test lint sdl
demo:
	python3 dev.py demo
test:
	python3 dev.py test
lint:
	python3 dev.py lint
sdl:
	python3 dev.py sdl

from kitchencam.cli import app

app(prog_name="kitchencam")

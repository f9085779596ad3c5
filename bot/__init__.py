"""The Discord edge and the Discord-free conversation core; `bot.demo` runs the loop locally."""

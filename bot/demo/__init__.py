"""`incident-bot demo`: the simulated Coralogix, the Slack sandbox and the bot, with a page to click in.

The page's server plays Slack's client: it turns clicks and slash commands into the signed requests Slack
would send to the bot's `/slack/events`, and shows what the bot left in the sandbox workspace.
"""

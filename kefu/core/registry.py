"""Imports every domain's models so that Base.metadata is complete (for Alembic and `create_all`)."""

from kefu.access import models as access_models
from kefu.bot import models as bot_models
from kefu.channels import models as channel_models
from kefu.core.db import Base
from kefu.customers import models as customer_models
from kefu.knowledge import models as knowledge_models
from kefu.routing import models as routing_models
from kefu.surveys import models as survey_models
from kefu.tickets import models as ticket_models

ALL_MODELS = (
    access_models,
    bot_models,
    channel_models,
    customer_models,
    knowledge_models,
    routing_models,
    survey_models,
    ticket_models,
)
metadata = Base.metadata

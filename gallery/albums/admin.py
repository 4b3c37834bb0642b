"""The Django admin for albums: their owner, visibility and members; their photos are arranged on the site."""

from django.contrib import admin

from gallery.albums.models import Album, AlbumMember


class MemberInline(admin.TabularInline):
    model = AlbumMember
    extra = 0
    raw_id_fields = ["user"]


@admin.register(Album)
class AlbumAdmin(admin.ModelAdmin):
    list_display = ["title", "owner", "visibility", "created_at", "updated_at"]
    list_filter = ["visibility", "created_at"]
    search_fields = ["title", "description", "owner__username"]
    list_select_related = ["owner"]
    raw_id_fields = ["owner", "cover"]
    fields = ["title", "description", "visibility", "owner", "cover"]
    inlines = [MemberInline]

    def get_queryset(self, request):
        return super().get_queryset(request) & Album.objects.visible_to(request.user)

<?php

namespace GrowthStandin;

use MediaWiki\MediaWikiServices;
use MediaWiki\Hook\ParserFirstCallInitHook;
use MediaWiki\Parser\Parser;

/**
 * {{#mentor:Name}}: the primary mentor's name, or an empty string. Never assigns a mentor.
 */
class ParserHooks implements ParserFirstCallInitHook {

	/** @inheritDoc */
	public function onParserFirstCallInit( $parser ) {
		$parser->setFunctionHook( 'mentor', [ self::class, 'renderMentor' ] );
	}

	/**
	 * @param Parser $parser
	 * @param string $username
	 * @return string
	 */
	public static function renderMentor( Parser $parser, $username = '' ): string {
		$mentee = MediaWikiServices::getInstance()->getUserFactory()->newFromName( trim( (string)$username ) );
		if ( !$mentee || !$mentee->isRegistered() ) {
			return '';
		}
		$mentor = Mentorship::getPrimaryMentor( $mentee );
		return $mentor ? $mentor->getName() : '';
	}
}
